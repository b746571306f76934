"""Generate the Python gRPC code for protos/opengovfood/v1 into opengovfood_client.v1.

protoc names modules after the proto path (`opengovfood/v1/items.proto` ->
`opengovfood.v1.items_pb2`), but the server's import package is `opengovfood`
too, so the generated imports are rewritten to `opengovfood_client.v1`. The
descriptors keep their proto paths, which is what reflection and other languages
see. Output is deterministic so CI can check it is not stale with `git diff`.
"""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROTO_ROOT = ROOT / "protos"
PROTO_DIR = PROTO_ROOT / "opengovfood" / "v1"
OUT_DIR = ROOT / "clients" / "python" / "src" / "opengovfood_client" / "v1"

_IMPORT_PATTERNS = (
    (re.compile(r"^from opengovfood\.v1 import ", re.M), "from opengovfood_client.v1 import "),
    (re.compile(r"^import opengovfood\.v1\.", re.M), "import opengovfood_client.v1."),
    (re.compile(r"\bopengovfood\.v1\.(\w+_pb2)\b"), r"opengovfood_client.v1.\1"),
)


def _rewrite(text: str) -> str:
    for pattern, replacement in _IMPORT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def main() -> int:
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"
    scripts = Path(sysconfig.get_path("scripts"))
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_DIR.glob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--grpc_python_out={tmp}",
            f"--plugin=protoc-gen-mypy={scripts / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={scripts / 'protoc-gen-mypy_grpc'}",
            f"--mypy_out={tmp}",
            f"--mypy_grpc_out={tmp}",
            # With comments (source info): the server's reflection serves these, so
            # `grpcurl describe` shows the documentation.
            "--include_source_info",
            "--include_imports",
            f"--descriptor_set_out={tmp}/descriptor_set.binpb",
            *protos,
        ]
        if protoc.main(args) != 0:
            print("protoc failed", file=sys.stderr)
            return 1
        generated = Path(tmp) / "opengovfood" / "v1"
        if OUT_DIR.exists():
            shutil.rmtree(OUT_DIR)
        OUT_DIR.mkdir(parents=True)
        for path in sorted(generated.iterdir()):
            if path.suffix in {".py", ".pyi"}:
                (OUT_DIR / path.name).write_text(_rewrite(path.read_text()))
        (OUT_DIR / "__init__.py").write_text(
            '"""Generated from protos/opengovfood/v1 by `make protos`. Do not edit."""\n'
        )
        (OUT_DIR / "py.typed").write_text("")
        shutil.copyfile(Path(tmp) / "descriptor_set.binpb", OUT_DIR / "descriptor_set.binpb")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
