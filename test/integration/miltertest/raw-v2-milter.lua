-- raw-v2-milter.lua - checks milters/raw-v2-milter.py, on two connections in a row
-- miltertest -D SOCK=inet:PORT@127.0.0.1 -D LUADIR=this-dir -s raw-v2-milter.lua
dofile(LUADIR .. "/common.lua")

for n = 1, 2 do
  local conn = open_connection(SOCK)
  check(mt.test_action(conn, SMFIF_ADDHDRS) and not mt.test_action(conn, SMFIF_CHGHDRS),
        "connection " .. n .. ": actions are ADDHDRS only")
  transaction(conn, {
    from = "<alice@example.test>",
    rcpts = { {"<bob@example.net>"} },
    headers = { {"From", "alice@example.test"}, {"Subject", "v2"} },
    body = "hello\r\n",
    eom_reply = SMFIR_ACCEPT,
  })
  check(mt.eom_check(conn, MT_HDRADD, "X-Version", "2"), "connection " .. n .. ": eom: add-header X-Version: 2")
  mt.disconnect(conn)
end
finish()
