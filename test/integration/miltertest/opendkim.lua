-- opendkim.lua - checks the OpenDKIM signer started by milters/opendkim-start.sh
-- miltertest -D SOCK=inet:PORT@127.0.0.1 -D LUADIR=this-dir -s opendkim.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
transaction(conn, {
  from = "<alice@example.test>",
  rcpts = { {"<bob@example.net>"} },
  headers = { {"From", "Alice <alice@example.test>"}, {"To", "bob@example.net"},
              {"Subject", "dkim"}, {"Date", "Mon, 01 Jan 2024 00:00:00 +0000"},
              {"Message-ID", "<dkim-1@example.test>"} },
  body = "signed body\r\n",
  eom_reply = SMFIR_ACCEPT,
})
check(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"), "eom: insert-header DKIM-Signature")
local sig = mt.getheader(conn, "DKIM-Signature", 0) or ""
check(string.find(sig, "d=example.test;", 1, true) and string.find(sig, "s=test;", 1, true)
      and string.find(sig, "a=rsa-sha256;", 1, true),
      "DKIM-Signature has d=example.test s=test a=rsa-sha256")
mt.disconnect(conn)
finish()
