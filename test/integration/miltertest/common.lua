-- common.lua - helpers shared by the fixture checks; load with dofile(LUADIR .. "/common.lua")
--
-- Each check prints a TAP line without a number ("ok - ..." / "not ok - ...");
-- check-fixtures.sh renumbers them. finish() raises an error when a check
-- failed, so miltertest exits non-zero as well.
-- Every protocol step goes through step(), which skips it when the milter
-- switched it off in negotiation: miltertest exits 1 without a message if a
-- disabled step is sent anyway.
-- Avoid mt.eom_check(conn, MT_SMTPREPLY) without arguments (miltertest exits
-- 1 silently) and body replacements above ~1 KiB (miltertest crashes).

failures = 0

function check(cond, desc)
  if cond then
    mt.echo("ok - " .. desc)
  else
    mt.echo("not ok - " .. desc)
    failures = failures + 1
  end
  return cond
end

local replies = {
  [SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept", [SMFIR_REJECT] = "reject",
  [SMFIR_TEMPFAIL] = "tempfail", [SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "replycode",
}

function reply_name(r)
  return replies[r] or tostring(r)
end

function open_connection(sock)
  local conn = mt.connect(sock, 50, 0.1)
  if conn == nil then error("mt.connect(" .. sock .. ") failed") end
  check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate with " .. sock)
  return conn
end

-- Sends one step unless the milter switched it off (option = SMFIP_NO...),
-- checks the reply; returns true if the step was sent.
function step(conn, option, desc, expected, fn, ...)
  if option ~= nil and mt.test_option(conn, option) then
    return false
  end
  local err = fn(conn, ...)
  local r = mt.getreply(conn)
  check(err == nil and r == expected,
        desc .. " -> " .. reply_name(expected) ..
        (err and (" (error " .. err .. ")") or "") ..
        ((r ~= expected) and (" (got " .. reply_name(r) .. ")") or ""))
  return true
end

-- The usual transaction up to and including end-of-message; every step
-- that is sent must answer continue, end-of-message must answer eom_reply.
-- m = { from=, rcpts={{addr[, expected reply]}, ...}, headers={{name, value}, ...},
--       body=, eom_reply=, next_message= }
-- m.next_message = true starts at mail (a further message on the same connection).
function transaction(conn, m)
  if not m.next_message then
    mt.macro(conn, SMFIC_CONNECT, "j", "mta.test.invalid", "_", "client.test [192.0.2.1]")
    step(conn, SMFIP_NOCONNECT, "connect", SMFIR_CONTINUE, mt.conninfo, "client.test", "192.0.2.1")
    step(conn, SMFIP_NOHELO, "helo", SMFIR_CONTINUE, mt.helo, "client.test")
  end
  mt.macro(conn, SMFIC_MAIL, "i", "MT0001", "{mail_addr}", m.from)
  step(conn, SMFIP_NOMAIL, "mail " .. m.from, SMFIR_CONTINUE, mt.mailfrom, m.from)
  for _, rcpt in ipairs(m.rcpts) do
    step(conn, SMFIP_NORCPT, "rcpt " .. rcpt[1], rcpt[2] or SMFIR_CONTINUE, mt.rcptto, rcpt[1])
  end
  for _, h in ipairs(m.headers) do
    step(conn, SMFIP_NOHDRS, "header " .. h[1], SMFIR_CONTINUE, mt.header, h[1], h[2])
  end
  step(conn, SMFIP_NOEOH, "eoh", SMFIR_CONTINUE, mt.eoh)
  step(conn, SMFIP_NOBODY, "body", SMFIR_CONTINUE, mt.bodystring, m.body)
  step(conn, nil, "eom", m.eom_reply, mt.eom)
end

function finish()
  if failures > 0 then error(failures .. " check(s) failed") end
end
