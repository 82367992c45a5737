# detection-helper - shared by the detection tests: pointing the
# detectors at a fixture root, and a milter's detected fields as a Hash.
module DetectionTestHelper
  def setup_detection_root
    @saved_root = Milter::Manager::Detector.instance_variable_get(:@root)
  end

  def teardown_detection_root
    Milter::Manager::Detector.root = @saved_root
  end

  def detection_fixture(platform)
    fixture_path("detection", platform)
  end

  FIELDS = ["enabled", "connection_spec", "command", "command_options", "description",
            "writing_timeout", "reading_timeout", "applicable_conditions"]

  def milter_fields(milter)
    milter && milter.to_h.slice(*FIELDS)
  end

  # A configuration loaded from package.platform = platform and the
  # bundled conf/milter-manager.conf.
  def load_bundled(platform, extra = "")
    conf = File.join(ENV["top_srcdir"] || File.expand_path("../..", __dir__), "conf")
    write("milter-manager.conf",
          "package.platform = #{platform.inspect}\n#{extra}" \
          "load(#{File.join(conf, 'milter-manager.conf').inspect})\n")
    load_configuration([@work_dir, conf])
  end
end
