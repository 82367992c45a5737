-- engine-recipients.lua - miltertest as the MTA side: one child rejects one
-- recipient, the other recipient goes on, the second child replaces the body.
-- miltertest -D SOCK=unix:PATH -D LUADIR=test/integration/miltertest -s engine-recipients.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
transaction(conn, {
  from = "<alice@example.test>",
  rcpts = { {"<bad@example.net>", SMFIR_REPLYCODE}, {"<good@example.net>"} },
  headers = { {"From", "alice@example.test"}, {"Subject", "recipients"} },
  body = "original\r\n",
  eom_reply = SMFIR_ACCEPT,
})
check(mt.eom_check(conn, MT_BODYCHANGE, "replaced"), "body replaced")
mt.disconnect(conn)
finish()
