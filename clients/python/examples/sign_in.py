"""Sign in, show who we are, and what the server's services say about their health."""

from _common import signed_in_client

with signed_in_client() as client:
    me = client.users.me()
    print(f"signed in as {me.full_name} <{me.email}> (id {me.id})")
    tokens = client.tokens
    assert tokens is not None
    print(f"access token valid for {tokens.expires_at - tokens.issued_at:.0f} s; refreshed for you")
    for service, status in client.health.check_all().items():
        print(f"{service or '(server)':32} {status}")
