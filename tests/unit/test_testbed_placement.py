"""The multinode scenario deploys inventories/multi-node's placement: its platforms' groups are the hosts.yml
groups (host names shortened to the test bed's), so what the test bed proves is what the inventory ships."""
import os

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_multinode_platform_groups_equal_the_multi_node_inventory():
    inventory = load("inventories/multi-node/hosts.yml")["all"]["children"]
    shipped = {group: sorted(h.split(".")[0] for h in spec["hosts"]) for group, spec in inventory.items()}
    tested = {}
    for platform in load("molecule/multinode/molecule.yml")["platforms"]:
        for group in platform["groups"]:
            tested.setdefault(group, []).append(platform["name"])
    assert tested == shipped
    assert len(shipped) == 8
