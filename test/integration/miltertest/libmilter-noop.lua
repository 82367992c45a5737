-- libmilter-noop.lua - checks milters/libmilter-noop.c
-- miltertest -D SOCK=inet:PORT@127.0.0.1 -D LUADIR=this-dir -s libmilter-noop.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
local off = false
for _, o in ipairs({ SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT,
                     SMFIP_NOBODY, SMFIP_NOHDRS, SMFIP_NOEOH }) do
  off = off or mt.test_option(conn, o)
end
check(not off, "no step switched off")
check(not mt.test_action(conn, SMFIF_ADDHDRS) and not mt.test_action(conn, SMFIF_CHGBODY),
      "no action requested")

for n = 1, 2 do
  transaction(conn, {
    from = "<alice@example.test>",
    rcpts = { {"<bob@example.net>"}, {"<carol@example.net>"} },
    headers = { {"From", "alice@example.test"}, {"Subject", "noop " .. n} },
    body = "hello\r\n",
    eom_reply = SMFIR_ACCEPT,
    next_message = n > 1,
  })
  check(not mt.eom_check(conn, MT_HDRADD) and not mt.eom_check(conn, MT_HDRCHANGE)
        and not mt.eom_check(conn, MT_HDRINSERT) and not mt.eom_check(conn, MT_BODYCHANGE)
        and not mt.eom_check(conn, MT_QUARANTINE),
        "message " .. n .. ": no modification")
end
mt.disconnect(conn)
finish()
