#!/usr/bin/env python3
"""Reference token ids from the real SentencePiece library (Debian python3-sentencepiece).

Usage: sentencepiece_ids.py TOKENIZER.MODEL [--text TEXT]... [--corpus FILE]...
Prints, for each --text, the JSON-escaped text and its ids without BOS; for each --corpus, the SHA-256 of
"id,id,...\\n" over the file's non-empty lines (encoded without BOS), the line count and the token count -- the same
fingerprint tests/SlimLLM.Core.Tests/Tokenization/TokenizerCorpus.cs computes.
"""
import argparse, hashlib, json, sentencepiece as spm

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("--text", action="append", default=[])
ap.add_argument("--corpus", action="append", default=[])
a = ap.parse_args()
sp = spm.SentencePieceProcessor(model_file=a.model)
print(f"# sentencepiece {spm.__version__}, vocab {sp.get_piece_size()}, unk {sp.unk_id()}")
for t in a.text:
    print(json.dumps(t), sp.encode(t))
for path in a.corpus:
    # Lines as .NET File.ReadLines splits them: on \n, \r\n and \r.
    with open(path, encoding="utf-8", newline="") as f:
        raw = f.read()
    lines = [l for l in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n") if l]
    out, tokens = [], 0
    for line in lines:
        ids = sp.encode(line)
        tokens += len(ids)
        out.append(",".join(map(str, ids)) + "\n")
    print(path, hashlib.sha256("".join(out).encode()).hexdigest(), len(lines), tokens)
