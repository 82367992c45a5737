-- engine-headers.lua - miltertest as an independent MTA side of the engine
-- (test/manager/scenarios/miltertest-headers.scenario): two messages on one
-- connection through two children, one adding X-A, the other changing
-- Subject. miltertest sends no DATA, so the engine emulates it (§2.6).
-- miltertest -D SOCK=unix:PATH -D LUADIR=test/integration/miltertest -s engine-headers.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
for n = 1, 2 do
  transaction(conn, {
    from = "<alice@example.test>",
    rcpts = { {"<bob@example.net>"} },
    headers = { {"From", "alice@example.test"}, {"Subject", "hello " .. n} },
    body = "hello\r\n",
    eom_reply = SMFIR_ACCEPT,
    next_message = n > 1,
  })
  check(mt.eom_check(conn, MT_HDRADD, "X-A", "1"), "message " .. n .. ": X-A added")
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "changed"),
        "message " .. n .. ": Subject changed")
  check(not mt.eom_check(conn, MT_BODYCHANGE), "message " .. n .. ": body kept")
end
mt.disconnect(conn)
finish()
