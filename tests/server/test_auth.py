from gwm_engine.server.auth import token_from_metadata, token_matches


def test_only_the_exact_token_matches():
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret")
    assert not token_matches("s3cret ", "s3cret")
    assert not token_matches(None, "s3cret")
    assert token_matches("clé", "clé")  # non-ASCII tokens compare as UTF-8, not refused


def test_the_token_is_read_from_either_header():
    assert token_from_metadata((("authorization", "Bearer abc"),)) == "abc"
    assert token_from_metadata((("x-gwm-token", "abc"),)) == "abc"
    assert token_from_metadata((("authorization", "Basic abc"),)) is None
