-- pymilter-modify.lua - checks milters/pymilter-modify.py
-- miltertest -D SOCK=inet:PORT@127.0.0.1 -D LUADIR=this-dir -s pymilter-modify.lua
dofile(LUADIR .. "/common.lua")

local conn = open_connection(SOCK)
for _, a in ipairs({ {SMFIF_ADDHDRS, "ADDHDRS"}, {SMFIF_CHGHDRS, "CHGHDRS"},
                     {SMFIF_ADDRCPT, "ADDRCPT"}, {SMFIF_DELRCPT, "DELRCPT"} }) do
  check(mt.test_action(conn, a[1]), "action " .. a[2] .. " requested")
end
check(not mt.test_action(conn, SMFIF_CHGBODY), "action CHGBODY not requested")
check(not mt.test_option(conn, SMFIP_NORCPT) and not mt.test_option(conn, SMFIP_NOHDRS),
      "recipients and headers are not switched off")

transaction(conn, {
  from = "<alice@example.test>",
  rcpts = { {"<reject@example.net>", SMFIR_REPLYCODE}, {"<bob@example.net>"},
            {"<deleted@example.net>"} },
  headers = { {"From", "alice@example.test"}, {"To", "bob@example.net"},
              {"Subject", "hello"}, {"Subject", "second"} },
  body = "hello\r\n",
  eom_reply = SMFIR_ACCEPT,
})
check(mt.eom_check(conn, MT_HDRADD, "X-Pymilter", "added"), "eom: add-header X-Pymilter: added")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[tagged] hello"),
      "eom: change-header Subject: [tagged] hello")
check(not mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[tagged] second"),
      "eom: second Subject left alone")
check(mt.eom_check(conn, MT_RCPTADD, "<added@example.net>"), "eom: add-recipient <added@example.net>")
check(mt.eom_check(conn, MT_RCPTDELETE, "<deleted@example.net>"),
      "eom: delete-recipient <deleted@example.net>")
check(not mt.eom_check(conn, MT_BODYCHANGE) and not mt.eom_check(conn, MT_QUARANTINE)
      and not mt.eom_check(conn, MT_HDRINSERT) and not mt.eom_check(conn, MT_HDRDELETE),
      "eom: no other modification")
mt.disconnect(conn)
finish()
