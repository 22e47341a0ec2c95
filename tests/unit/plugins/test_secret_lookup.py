"""The secret lookup under the controller's parallel workers: every caller gets the same whole value."""

from concurrent.futures import ProcessPoolExecutor


def read_or_create(*args):
    # Imported late: a lookup plugin imports Ansible's controller side, which from then on sends module warnings
    # to the display instead of the module result, and the module tests collected with it would lose them.
    from ansible_collections.aegis.platform.plugins.lookup.secret import read_or_create as lookup_read_or_create
    return lookup_read_or_create(*args)


def test_concurrent_first_reads_all_return_the_same_non_empty_value(tmp_path):
    # Six calls per name in a row: the workers race on each name's creation.
    names = ["database/password-%d" % (index // 6) for index in range(600)]
    with ProcessPoolExecutor(max_workers=6) as pool:
        found = list(pool.map(read_or_create, [str(tmp_path)] * len(names), names, [32] * len(names)))
    stored = {name: (tmp_path / name).read_text().rstrip("\n") for name in set(names)}
    assert [value for name, value in zip(names, found) if value != stored[name]] == []
    assert {len(value) for value in stored.values()} == {32}


def test_a_second_read_returns_the_stored_value_and_leaves_no_temporary_file(tmp_path):
    first = read_or_create(str(tmp_path), "a/b", 16)
    assert read_or_create(str(tmp_path), "a/b", 40) == first
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]


def test_an_existing_deployment_refuses_to_generate_a_missing_value(tmp_path):
    import pytest
    from ansible.errors import AnsibleLookupError
    with pytest.raises(AnsibleLookupError, match="database/keycloak is missing from .* already exists"):
        read_or_create(str(tmp_path), "database/keycloak", 32, False)
    assert not (tmp_path / "database").exists()
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "admin").write_text("kept\n")
    assert read_or_create(str(tmp_path), "iam/admin", 32, False) == "kept"


def test_a_rotation_renews_only_the_names_it_lists(tmp_path):
    import pytest
    from ansible.errors import AnsibleLookupError
    assert len(read_or_create(str(tmp_path), "database/aegis", 32, ["database/aegis"])) == 32
    with pytest.raises(AnsibleLookupError):
        read_or_create(str(tmp_path), "iam/admin", 32, ["database/aegis"])
