"""images_to_load: which archived images a host must load (the images role's archive transport)."""
from ansible_collections.aegis.platform.plugins.filter.images import images_to_load

MANIFEST = {
    "localhost/aegis-postgres:16": {"id": "a" * 64, "file": "localhost_aegis-postgres_16.tar"},
    "localhost/aegis-openbao:2": {"id": "b" * 64, "file": "localhost_aegis-openbao_2.tar"},
}


def test_an_image_the_host_lacks_is_loaded():
    assert images_to_load(["localhost/aegis-postgres:16"], MANIFEST, []) == ["localhost/aegis-postgres:16"]


def test_an_image_present_under_the_archived_id_is_not_loaded_again():
    present = [{"Id": "a" * 64, "Names": ["localhost/aegis-postgres:16"]}]
    assert images_to_load(["localhost/aegis-postgres:16"], MANIFEST, present) == []


def test_an_image_present_under_another_id_is_replaced():
    present = [{"Id": "c" * 64, "Names": ["localhost/aegis-postgres:16"]}]
    assert images_to_load(["localhost/aegis-postgres:16"], MANIFEST, present) == ["localhost/aegis-postgres:16"]


def test_order_is_kept_duplicates_dropped_and_untagged_images_ignored():
    present = [{"Id": "d" * 64, "Names": None}]
    refs = ["localhost/aegis-openbao:2", "localhost/aegis-postgres:16", "localhost/aegis-openbao:2"]
    assert images_to_load(refs, MANIFEST, present) == ["localhost/aegis-openbao:2", "localhost/aegis-postgres:16"]
