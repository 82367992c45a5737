-- client-modifications.lua - each end-of-message modification of a milter
-- on libmilter-client, checked with mt.eom_check().
--
-- miltertest -D SOCK=unix:/path -D CHECK=NAME -s client-modifications.lua
--
-- CHECK says which modifications the milter was started with:
--   all      milter-test-client with every modification below
--   reject   the end-of-message reply is "550 5.7.1 go away"
--   header   milter-header-client: X-Milter-Client: passed, and the
--            recipient "<reject@example.net>" is refused with a reply code

SOCK = SOCK or "inet:10025@127.0.0.1"
CHECK = CHECK or "all"

conn = mt.connect(SOCK, 50, 0.1)
if conn == nil then error("mt.connect() failed") end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
if mt.conninfo(conn, "client.test", "192.0.2.1") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect reply") end
if mt.helo(conn, "client.test") ~= nil then error("helo") end
mt.macro(conn, SMFIC_MAIL, "i", "QID7")
if mt.mailfrom(conn, "<alice@example.test>") ~= nil then error("mailfrom") end
if CHECK == "header" then
  if mt.rcptto(conn, "<reject@example.net>") ~= nil then error("rcptto") end
  if mt.getreply(conn) ~= SMFIR_REPLYCODE then
    error("the rejected recipient got no reply code")
  end
end
if mt.rcptto(conn, "<bob@example.net>") ~= nil then error("rcptto") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("rcpt reply") end
if mt.data(conn) ~= nil then error("data") end
if mt.header(conn, "From", "alice@example.test") ~= nil then error("header") end
if mt.header(conn, "Subject", "original") ~= nil then error("header") end
if mt.header(conn, "X-Remove", "me") ~= nil then error("header") end
if mt.eoh(conn) ~= nil then error("eoh") end
if mt.bodystring(conn, "original body\r\n") ~= nil then error("body") end
if mt.eom(conn) ~= nil then error("eom") end

local function check(what, ...)
  if not mt.eom_check(conn, ...) then error("eom_check failed: " .. what) end
  mt.echo("OK: " .. what)
end

local reply = mt.getreply(conn)
if CHECK == "all" then
  if reply ~= SMFIR_ACCEPT then error("eom reply " .. tostring(reply)) end
  check("add-header", MT_HDRADD, "X-Added", "yes")
  check("insert-header", MT_HDRINSERT, "X-Inserted", "first")
  check("change-header", MT_HDRCHANGE, "Subject", "changed")
  check("delete-header", MT_HDRDELETE, "X-Remove")
  check("add-recipient", MT_RCPTADD, "<added@example.net>")
  check("delete-recipient", MT_RCPTDELETE, "<bob@example.net>")
  check("replace-body", MT_BODYCHANGE, "replaced body\r\n")
  check("quarantine", MT_QUARANTINE, "held for review")
elseif CHECK == "reject" then
  if reply ~= SMFIR_REPLYCODE then error("eom reply " .. tostring(reply)) end
  check("reply-code", MT_SMTPREPLY, "550", "5.7.1", "go away")
elseif CHECK == "header" then
  if reply ~= SMFIR_ACCEPT then error("eom reply " .. tostring(reply)) end
  check("add-header", MT_HDRADD, "X-Milter-Client", "passed")
end
mt.disconnect(conn)
