# LoadPath - the directories configuration files are looked up in, and
# the rule that turns a path given to load/load_if_exist into files.
#
# resolve(path), in order:
#   absolute path                      -> that path (if it exists)
#   DIR/path is a directory (first DIR) -> its non-directory entries,
#                                         sorted, not recursive
#   DIR/path is a file (first DIR)      -> that file
#   otherwise a glob: the matches (directories excluded, sorted) in the
#   FIRST directory that has any.
# The original concatenated the glob matches of every directory, which
# loads a file twice when --config-dir holds a copy of the shipped
# files; stopping at the first directory with matches lets a directory
# early in the path replace a whole set (applicable-conditions/*.conf).
module Milter
  module Manager
    class LoadPath
      attr_reader :directories

      def initialize(directories)
        @directories = directories.compact.map { |dir| File.expand_path(dir) }.uniq
      end

      def append(directory)
        directory = File.expand_path(directory)
        @directories << directory unless @directories.include?(directory)
      end

      def resolve(path)
        if absolute?(path)
          return [] unless File.exist?(path)
          return entries(path) if File.directory?(path)
          return [path]
        end
        @directories.each do |dir|
          candidate = File.join(dir, path)
          return entries(candidate) if File.directory?(candidate)
          return [candidate] if File.file?(candidate)
        end
        glob(path)
      end

      # The first regular file named name, or nil.
      def find_file(name)
        @directories.each do |dir|
          candidate = File.join(dir, name)
          return candidate if File.file?(candidate)
        end
        nil
      end

      def glob(pattern)
        return files(Dir.glob(pattern)) if absolute?(pattern)
        @directories.each do |dir|
          matches = files(Dir.glob(pattern, base: dir).map { |entry| File.join(dir, entry) })
          return matches unless matches.empty?
        end
        []
      end

      private

      def absolute?(path)
        path.start_with?("/")
      end

      def entries(dir)
        files(Dir.children(dir).map { |entry| File.join(dir, entry) })
      end

      def files(paths)
        paths.reject { |path| File.directory?(path) }.sort
      end
    end
  end
end
