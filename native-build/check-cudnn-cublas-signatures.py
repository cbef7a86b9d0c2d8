#!/usr/bin/env python3
"""Cross-checks the cuDNN and cuBLAS bindings (Cudnn.java, Cublas.java) against an
independent reading of NVIDIA's headers, without a GPU and without the headers themselves.

bytedeco's JavaCPP presets parse cudnn*.h and cublas_api.h into Java declarations; their
sources jar for cuDNN 9.5 / cuBLAS 12.6 is on Maven Central. For every function our
bindings look up, this compares the number of parameters and each one's width class
(4-byte int/enum, 8-byte word = pointer/size_t/handle, float, double) with that
declaration. What it catches: a dropped, added or wrongly sized argument (the kind of
mistake the fake CUDA stack, written by us, could share).

    native-build/check-cudnn-cublas-signatures.py      # exit 0 = all match, 1 = mismatch, 2 = cannot fetch
"""
import hashlib, io, pathlib, re, sys, urllib.request, zipfile

VERSION = "12.6-9.5-1.5.11"
URL = f"https://repo1.maven.org/maven2/org/bytedeco/cuda/{VERSION}/cuda-{VERSION}-sources.jar"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OURS = [ROOT / "sparsestep-core/src/main/java/io/sparsestep/backend/cuda" / f for f in ("Cudnn.java", "Cublas.java")]
CACHE = pathlib.Path.home() / ".cache/sparsestep" / f"cuda-{VERSION}-sources.jar"


def fetch():
    try:
        expected = urllib.request.urlopen(URL + ".sha1", timeout=30).read().decode()[:40]
        data = CACHE.read_bytes() if CACHE.exists() else b""
        if hashlib.sha1(data).hexdigest() != expected:
            data = urllib.request.urlopen(URL, timeout=120).read()
            if hashlib.sha1(data).hexdigest() != expected:
                sys.exit(f"check-signatures: SHA-1 mismatch for {URL}")
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_bytes(data)
        return zipfile.ZipFile(io.BytesIO(data))
    except OSError as e:
        print(f"check-signatures: cannot fetch {URL}: {e}", file=sys.stderr)
        sys.exit(2)


def width_of_java(declaration):
    t = re.sub(r'@\w+(\("[^"]*"\))?\s*', "", declaration).strip().split()
    return {"int": "int4", "long": "word8", "double": "double8", "float": "float4"}.get(t[0] if t else "", "word8")


def theirs(jar):
    found = {}
    for member in ("org/bytedeco/cuda/global/cudnn.java", "org/bytedeco/cuda/global/cublas.java"):
        src = jar.read(member).decode()
        for m in re.finditer(r"public static native ([^;]*?)\b((?:cudnn|cublas)\w+)\(([^;]*?)\);", src, re.S):
            if m.group(2) in found:
                continue  # overloads differ only in Java pointer types
            params = [p.strip() for p in m.group(3).split(",") if p.strip()]
            found[m.group(2)] = [width_of_java(" ".join(p.split()[:-1])) for p in params]
    return found


def ours():
    widths = {"INT": "int4", "HANDLE": "word8", "PTR": "word8", "SIZE_T": "word8", "DOUBLE": "double8", "FLOAT": "float4"}
    bound = {}
    for path in OURS:
        src = path.read_text()
        named = {m.group(1): (m.group(2), m.group(3)) for m in
                 re.finditer(r"FunctionDescriptor (\w+) = FunctionDescriptor\.(of|ofVoid)\(([^;]*)\);", src)}
        for m in re.finditer(r'bind(?:Optional)?\("(\w+)",\s*(?:FunctionDescriptor\.(of|ofVoid)\(([^;]*?)\)|(\w+))\)', src, re.S):
            kind, args = named[m.group(4)] if m.group(4) else (m.group(2), m.group(3))
            tokens = [widths[a.strip()] for a in args.split(",") if a.strip()]
            bound[m.group(1)] = tokens if kind == "ofVoid" else tokens[1:]
    return bound


def main():
    reference = theirs(fetch())
    mismatches, checked = [], 0
    for name, params in sorted(ours().items()):
        if name not in reference:
            print(f"  {name}: not in the JavaCPP declarations (newer than cuDNN 9.5 / cuBLAS 12.6?), not checked")
            continue
        checked += 1
        if params != reference[name]:
            mismatches.append(f"  {name}: ours {params}, header {reference[name]}")
    print(f"{checked} bound functions checked against cuDNN 9.5 / cuBLAS 12.6 declarations: {len(mismatches)} mismatches")
    print("\n".join(mismatches))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
