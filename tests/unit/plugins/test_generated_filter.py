"""The generated values kept in OpenBao: what is kept, what is written back to the controller."""

from ansible_collections.aegis.platform.plugins.filter.generated import generated_to_restore, generated_values


def make(tmp_path, files):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def test_every_generated_value_is_kept_but_openbaos_own_keys_and_temporary_files(tmp_path):
    make(tmp_path, {"database/aegis": "pw\n", "core/seal-private-key.pem": "PEM\n", "openbao/approle.json": "{}",
                    "openbao/init.json": "{\"root_token\": \"t\"}", "database/.new-x": "half"})
    assert generated_values(str(tmp_path)) == {"database/aegis": "pw\n", "core/seal-private-key.pem": "PEM\n",
                                               "openbao/approle.json": "{}"}


def test_a_missing_directory_holds_nothing(tmp_path):
    assert generated_values(str(tmp_path / "absent")) == {}


def test_what_is_missing_or_different_is_restored_except_renewed_names(tmp_path):
    make(tmp_path, {"database/aegis": "same\n", "iam/admin": "stale\n"})
    kept = {"database/aegis": "same\n", "iam/admin": "kept\n", "database/temporal": "t\n", "database/keycloak": "k\n"}
    assert generated_to_restore(kept, str(tmp_path), ["database/keycloak"]) == {
        "iam/admin": "kept\n", "database/temporal": "t\n"}


def test_names_that_would_leave_the_directory_or_openbaos_keys_are_never_restored(tmp_path):
    kept = {"../escape": "x", "/etc/passwd": "x", "a/../../b": "x", "openbao/init.json": "x"}
    assert generated_to_restore(kept, str(tmp_path)) == {}
    assert generated_to_restore(None, str(tmp_path)) == {}
