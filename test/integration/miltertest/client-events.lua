-- client-events.lua - miltertest drives a milter on libmilter-client
-- through every event.
--
-- miltertest -D SOCK=unix:/path -D NRCPT=100 -D BODY=/path/to/10MiB
--            -D NRHDR=0|1 -D EOM=accept|continue -s client-events.lua
--
-- Negotiates protocol 6 (miltertest offers every action, SETSYMLIST
-- included, so the milter may send its macro lists), sends macros for
-- each stage, connect, helo, envelope-from with an ESMTP argument, NRCPT
-- recipients, unknown, data, headers, end-of-header, the body from file
-- BODY in chunks, end-of-message. Every step is guarded with
-- mt.test_option() because miltertest exits without a message when asked
-- to send an event the milter switched off.

SOCK = SOCK or "inet:10025@127.0.0.1"
NRCPT = tonumber(NRCPT or "3")
NRHDR = NRHDR or "0"
EOM = EOM or "accept"

local function on(option) return not mt.test_option(conn, option) end
local function expect(step, wanted)
  local reply = mt.getreply(conn)
  if reply ~= wanted then
    error(step .. ": reply " .. tostring(reply) .. ", wanted " .. tostring(wanted))
  end
end

conn = mt.connect(SOCK, 50, 0.1)
if conn == nil then error("mt.connect() failed") end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
if (NRHDR == "1") ~= mt.test_option(conn, SMFIP_NR_HDR) then
  error("the milter's no-reply-header step was not negotiated as asked")
end

mt.macro(conn, SMFIC_CONNECT, "j", "mt.test.invalid", "{daemon_name}", "mt",
         "_", "client.test [192.0.2.1]")
if on(SMFIP_NOCONNECT) then
  if mt.conninfo(conn, "client.test", "192.0.2.1") ~= nil then error("conninfo") end
  expect("connect", SMFIR_CONTINUE)
end
mt.macro(conn, SMFIC_HELO, "{tls_version}", "none")
if on(SMFIP_NOHELO) then
  if mt.helo(conn, "client.test") ~= nil then error("helo") end
  expect("helo", SMFIR_CONTINUE)
end
mt.macro(conn, SMFIC_MAIL, "i", "QID42", "{mail_addr}", "alice@example.test")
if on(SMFIP_NOMAIL) then
  if mt.mailfrom(conn, "<alice@example.test>", "SIZE=10485760") ~= nil then
    error("mailfrom")
  end
  expect("envelope-from", SMFIR_CONTINUE)
end
if on(SMFIP_NORCPT) then
  for i = 1, NRCPT do
    mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "rcpt" .. i .. "@example.net")
    if mt.rcptto(conn, "<rcpt" .. i .. "@example.net>") ~= nil then
      error("rcptto " .. i)
    end
    expect("envelope-recipient " .. i, SMFIR_CONTINUE)
  end
end
if on(SMFIP_NOUNKNOWN) then
  if mt.unknown(conn, "XFOO bar") ~= nil then error("unknown") end
  expect("unknown", SMFIR_CONTINUE)
end
if on(SMFIP_NODATA) then
  if mt.data(conn) ~= nil then error("data") end
  expect("data", SMFIR_CONTINUE)
end
if on(SMFIP_NOHDRS) then
  for i = 1, 20 do
    if mt.header(conn, "X-Header-" .. i, "value " .. i) ~= nil then
      error("header " .. i)
    end
    if NRHDR ~= "1" then expect("header " .. i, SMFIR_CONTINUE) end
  end
  if mt.header(conn, "Subject", "miltertest") ~= nil then error("header") end
  if NRHDR ~= "1" then expect("header Subject", SMFIR_CONTINUE) end
end
if on(SMFIP_NOEOH) then
  if mt.eoh(conn) ~= nil then error("eoh") end
  expect("end-of-header", SMFIR_CONTINUE)
end
if on(SMFIP_NOBODY) and BODY then
  if mt.bodyfile(conn, BODY) ~= nil then error("bodyfile") end
end
if mt.eom(conn) ~= nil then error("eom") end
if EOM == "accept" then expect("end-of-message", SMFIR_ACCEPT)
else expect("end-of-message", SMFIR_CONTINUE) end
mt.echo("OK: every event answered")
mt.disconnect(conn)
