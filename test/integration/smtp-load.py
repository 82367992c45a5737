#!/usr/bin/python3
# smtp-load.py - SMTP load with one result line per message
#
# SYNOPSIS
#   /usr/bin/python3 smtp-load.py HOST:PORT N PARALLEL OUT [RCPT...]
#
# DESCRIPTION
#   Sends N messages, PARALLEL sessions at a time, one message per session,
#   from alice@example.test to every RCPT (default bob@example.net); each
#   message has From, To, Subject and a unique Message-Id
#   <load.K@example.test> (K = 1..N) and a 2 KiB body. smtp-source stops
#   at the first refused recipient (fatal); this client goes on and
#   records, so a test can account for every message. OUT gets one line
#   per message:
#     K OUTCOME SECONDS CODES
#   OUTCOME: delivered (250 after the data), rejected (a 5xx ended the
#   transaction), tempfailed (a 4xx did), error (the connection broke, a
#   timeout or a reply outside 2xx-5xx: never correct). CODES: the reply
#   code of each command after EHLO, "RCPT=550" style, ";" separated, the
#   reply's last line text after "|" for refusals. SECONDS: the session's
#   duration.
#
# DIAGNOSTICS
#   Exit 0 when every message has a line (whatever its outcome); 2 on usage
#   errors.
import smtplib
import sys
import threading
import time


def one(host, port, k, rcpts, out, lock):
    t0 = time.monotonic()
    codes = []
    outcome = "error"
    msg = ("From: <alice@example.test>\r\nTo: <%s>\r\nSubject: load %d\r\n"
           "Message-Id: <load.%d@example.test>\r\n\r\n" % (rcpts[0], k, k))
    msg += ("%d " % k + "x" * 70 + "\r\n") * 28
    try:
        s = smtplib.SMTP(host, port, timeout=120)
        try:
            s.ehlo("load.example.test")
            code, text = s.mail("alice@example.test")
            codes.append("MAIL=%d" % code)
            if code >= 400:
                raise Refused(code, text)
            accepted = 0
            for r in rcpts:
                code, text = s.rcpt(r)
                codes.append("RCPT=%d" % code)
                if code < 300:
                    accepted += 1
                else:
                    last_refusal = (code, text)
                    if r != rcpts[-1] or accepted:
                        codes[-1] += "|" + text.decode(errors="replace").split("\n")[-1]
            if not accepted:
                raise Refused(*last_refusal)
            code, text = s.data(msg.encode())
            codes.append("DATA=%d" % code)
            if code >= 400:
                raise Refused(code, text)
            outcome = "delivered"
            s.quit()
        finally:
            s.close()
    except Refused as e:
        codes[-1] += "|" + e.text
        outcome = "rejected" if 500 <= e.code < 600 else (
            "tempfailed" if 400 <= e.code < 500 else "error")
    except smtplib.SMTPDataError as e:
        codes.append("DATA=%d|%s" % (e.smtp_code, e.smtp_error.decode(errors="replace")))
        outcome = "rejected" if 500 <= e.smtp_code < 600 else (
            "tempfailed" if 400 <= e.smtp_code < 500 else "error")
    except (OSError, smtplib.SMTPException) as e:
        codes.append("EXC=%s" % type(e).__name__)
        outcome = "error"
    with lock:
        out.write("%d %s %.3f %s\n" % (k, outcome, time.monotonic() - t0,
                                       ";".join(codes).replace(" ", "_")))
        out.flush()


class Refused(Exception):
    def __init__(self, code, text):
        super().__init__(code)
        self.code = code
        self.text = text.decode(errors="replace").split("\n")[-1]


def main():
    if len(sys.argv) < 5:
        print("usage: smtp-load.py HOST:PORT N PARALLEL OUT [RCPT...]", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1].rsplit(":", 1)
    n, parallel = int(sys.argv[2]), int(sys.argv[3])
    rcpts = sys.argv[5:] or ["bob@example.net"]
    lock = threading.Lock()
    next_k = [0]

    def worker(out):
        while True:
            with lock:
                next_k[0] += 1
                k = next_k[0]
            if k > n:
                return
            one(host, int(port), k, rcpts, out, lock)

    with open(sys.argv[4], "w") as out:
        threads = [threading.Thread(target=worker, args=(out,)) for _ in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


if __name__ == "__main__":
    main()
