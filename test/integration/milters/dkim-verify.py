#!/usr/bin/python3
# dkim-verify.py - check DKIM-Signature headers against a test key, offline
#
# SYNOPSIS
#   /usr/bin/python3 dkim-verify.py KEY.txt FILE...
#
# DESCRIPTION
#   KEY.txt is the DNS TXT record opendkim-genkey writes (p=BASE64 inside
#   quoted strings). Each FILE is one message as smtp-sink -d stores it;
#   it must carry exactly one DKIM-Signature (a=rsa-sha256, c=relaxed/simple,
#   no l=) whose body hash and signature (RFC 6376 §3.4, §3.7) verify with
#   that key. No DNS is needed: the key comes from the file. Uses only the
#   standard library and python3-cryptography (a dependency of Debian's
#   python3 tooling).
#
# DIAGNOSTICS
#   Prints "FILE: REASON" for every message that fails and a last line
#   "verified N of M"; exits 0 only if all verified, 2 on usage errors.
import base64
import hashlib
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def public_key(path):
    text = "".join(re.findall(r'"([^"]*)"', open(path).read()))
    tags = dict(t.strip().split("=", 1) for t in text.split(";") if "=" in t)
    return serialization.load_der_public_key(base64.b64decode(tags["p"]))


def split_message(raw):
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    headers = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1] += b"\r\n" + line
        else:
            headers.append(line)
    return headers, body


def relaxed_header(field):
    name, _, value = field.partition(b":")
    value = re.sub(rb"[ \t]+", b" ", value.replace(b"\r\n", b""))
    return name.strip().lower() + b":" + value.strip() + b"\r\n"


def simple_body(body):
    lines = body.split(b"\n")
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines) or b"\r\n"


def verify(key, raw):
    headers, body = split_message(raw)
    sigs = [h for h in headers if h.lower().startswith(b"dkim-signature:")]
    if len(sigs) != 1:
        return "%d DKIM-Signature headers" % len(sigs)
    sig = sigs[0]
    value = sig.partition(b":")[2].decode()
    tags = {}
    for t in value.split(";"):
        if "=" in t:
            k, v = t.split("=", 1)
            tags[k.strip()] = re.sub(r"\s+", "", v)
    if tags.get("a") != "rsa-sha256" or tags.get("c") != "relaxed/simple" or "l" in tags:
        return "unexpected tags a=%s c=%s" % (tags.get("a"), tags.get("c"))
    bh = base64.b64encode(hashlib.sha256(simple_body(body)).digest()).decode()
    if bh != tags["bh"]:
        return "body hash mismatch"
    # h= names pick instances from the bottom up, each used once.
    pool = [h for h in headers if h is not sig]
    data = b""
    for name in tags["h"].split(":"):
        for i in range(len(pool) - 1, -1, -1):
            if pool[i].partition(b":")[0].strip().lower() == name.strip().lower().encode():
                data += relaxed_header(pool.pop(i))
                break
    # b= (never the first tag: v= is) emptied, bh= left alone.
    unsigned = re.sub(rb"(;[ \t\r\n]*b=)[^;]*", rb"\1", sig, count=1)
    data += relaxed_header(unsigned)[:-2]
    try:
        key.verify(base64.b64decode(tags["b"]), data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "signature does not verify"
    return None


def main():
    if len(sys.argv) < 2:
        print("usage: dkim-verify.py KEY.txt FILE...", file=sys.stderr)
        sys.exit(2)
    key = public_key(sys.argv[1])
    files = sys.argv[2:]
    good = 0
    for path in files:
        reason = verify(key, open(path, "rb").read())
        if reason:
            print("%s: %s" % (path, reason))
        else:
            good += 1
    print("verified %d of %d" % (good, len(files)))
    sys.exit(0 if good == len(files) else 1)


if __name__ == "__main__":
    main()
