"""Development signing keys and Maskinporten-shaped tokens, for local use only.

The key pair is generated on first use into a folder of the project's ``var/`` (never
committed). Services verify tokens against the public JWKS; production points the same
setting at Maskinporten's JWKS instead.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEV_ISSUER = "https://maskinporten.dev.sysaccess.local/"
DEV_KEY_ID = "sysaccess-dev-1"


def ensure_dev_keys(folder: Path) -> tuple[Path, Path]:
    """Return (private PEM, public JWKS), creating them once."""
    folder.mkdir(parents=True, exist_ok=True)
    private_path = folder / "dev-signing-key.pem"
    jwks_path = folder / "jwks.json"
    if not private_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = private_path.with_suffix(".tmp")
        tmp.write_bytes(pem)
        tmp.chmod(0o600)
        tmp.replace(private_path)
        jwks_path.unlink(missing_ok=True)
    if not jwks_path.exists():
        private_key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
        jwk.update({"kid": DEV_KEY_ID, "use": "sig", "alg": "RS256"})
        jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2))
    return private_path, jwks_path


def mint_token(
    private_key_pem: bytes,
    *,
    org_no: str,
    scopes: list[str],
    issuer: str = DEV_ISSUER,
    lifetime_seconds: int = 3600,
    key_id: str = DEV_KEY_ID,
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "jti": str(uuid.uuid4()),
        "client_id": f"dev-{org_no}",
        "scope": " ".join(scopes),
        "token_type": "Bearer",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org_no}"},
    }
    return jwt.encode(claims, private_key_pem, algorithm="RS256", headers={"kid": key_id})
