-- engine-eom-reject.lua - miltertest as the MTA side: the second child
-- rejects at end-of-message; the first child's header edit still goes out
-- with the reject (§4.4).
-- miltertest -D SOCK=unix:PATH -D LUADIR=test/integration/miltertest -s engine-eom-reject.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
transaction(conn, {
  from = "<alice@example.test>",
  rcpts = { {"<bob@example.net>"} },
  headers = { {"From", "alice@example.test"}, {"Subject", "reject me"} },
  body = "hello\r\n",
  eom_reply = SMFIR_REJECT,
})
check(mt.eom_check(conn, MT_HDRADD, "X-A", "1"), "X-A added before the reject")
mt.disconnect(conn)
finish()
