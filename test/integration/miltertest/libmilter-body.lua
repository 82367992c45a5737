-- libmilter-body.lua - checks milters/libmilter-body.c
-- miltertest -D SOCK=inet:PORT@127.0.0.1 -D LUADIR=this-dir -s libmilter-body.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
check(mt.test_action(conn, SMFIF_CHGBODY) and mt.test_action(conn, SMFIF_QUARANTINE),
      "actions CHGBODY and QUARANTINE requested")
check(not mt.test_action(conn, SMFIF_ADDHDRS), "action ADDHDRS not requested")
check(mt.test_option(conn, SMFIP_NOBODY) and mt.test_option(conn, SMFIP_NOHDRS),
      "only end-of-message: body and headers switched off")

transaction(conn, {
  from = "<alice@example.test>",
  rcpts = { {"<bob@example.net>"} },
  headers = { {"From", "alice@example.test"}, {"Subject", "body test"} },
  body = "original body\r\n",
  eom_reply = SMFIR_ACCEPT,
})
check(mt.eom_check(conn, MT_BODYCHANGE, "replaced body\r\n"), "eom: replace-body 'replaced body<CR><LF>'")
check(mt.eom_check(conn, MT_QUARANTINE, "test quarantine"), "eom: quarantine 'test quarantine'")
check(not mt.eom_check(conn, MT_HDRADD) and not mt.eom_check(conn, MT_HDRCHANGE)
      and not mt.eom_check(conn, MT_HDRINSERT),
      "eom: no header modification")
mt.disconnect(conn)
finish()
