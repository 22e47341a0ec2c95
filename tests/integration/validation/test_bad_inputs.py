"""Bad input fails before any host changes, with a message naming the variable.

Each case runs site.yml on this machine with its own name prefix, so the cases run side by side and beside any
deployment. A case that passed validation by mistake would go on to change the host; the images step then fails
on a missing archive directory, so the test fails on the message instead of deploying the platform."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]

# (case, extra vars, what the message must say: a tuple when one message must say several things)
CASES = [
    ("unknown profile", {"aegis_profile": "nonexistent"}, "aegis_profile 'nonexistent' must be one of"),
    ("profile with an unknown pod", {"aegis_profiles": {"full": ["database", "nope"]}}, "unknown:"),
    ("prefix with a space", {"aegis_name_prefix": "Bad Prefix"}, "aegis_name_prefix ('Bad Prefix') must be"),
    ("prefix with upper case", {"aegis_name_prefix": "Aegis"}, "aegis_name_prefix ('Aegis') must be"),
    ("bind address not an IP", {"aegis_bind_address": "not-an-ip"}, "aegis_bind_address ('not-an-ip') must be"),
    ("subnet not CIDR", {"aegis_network_subnet": "bogus"}, "aegis_network_subnet ('bogus') must be"),
    ("unknown image source", {"aegis_image_source": "docker"}, "aegis_image_source"),
    ("empty version, upstream images", {"aegis_image_source": "upstream", "aegis_version": ""}, "aegis_version is empty"),
    ("secrets dir under a file", {"aegis_secrets_dir": "/etc/hostname/secrets"}, "aegis_secrets_dir ('/etc/hostname/secrets') must be"),
    ("relative config dir", {"aegis_config_dir": "etc/aegis"}, "aegis_config_dir ('etc/aegis') must be"),
    ("Keycloak on OpenBao's port", {"aegis_iam_port": 8200}, "aegis_iam_port / aegis_secrets_port: pods iam and secrets"),
    ("runtime on PostgreSQL's port", {"aegis_core_http_port": 5432}, "aegis_core_http_port / aegis_database_port: pods core and database"),
    ("Temporal UI on Grafana's port", {"aegis_temporal_ui_port": 3300}, "aegis_observability_grafana_port / aegis_temporal_ui_port"),
    ("port out of range", {"aegis_database_port": 70000}, "aegis_database_port must be a port number in 1-65535"),
    ("port not a number", {"aegis_secrets_port": "abc"}, "aegis_secrets_port"),
    ("port zero", {"aegis_core_grpc_port": 0}, "aegis_core_grpc_port must be a port number"),
    ("two storage ports alike", {"aegis_storage_filer_port": 9333}, "aegis_storage_filer_port"),
    ("two observability ports alike", {"aegis_observability_loki_port": 9090}, "aegis_observability_loki_port"),
    ("OpenBao API on its cluster port", {"aegis_secrets_cluster_port": 8200}, "aegis_secrets_cluster_port"),
    ("unknown published storage port", {"aegis_storage_published_ports": ["nope"]}, "aegis_storage_published_ports"),
    ("bad retention", {"aegis_observability_prometheus_retention": "forever"}, "aegis_observability_prometheus_retention (forever) must be a duration"),
    ("bad Grafana role", {"aegis_observability_grafana_anonymous_role": "Boss"}, "value of aegis_observability_grafana_anonymous_role must be one of"),
    ("scrape job with an unknown endpoint", {"aegis_observability_scrape_targets": {"database": [{"job": "x", "endpoint": "nope"}]}},
     "aegis_observability_scrape_targets"),
    ("database name not an identifier", {"aegis_database_databases": [{"name": "Bad-Name"}]}, "aegis_database_databases"),
    ("password for an unknown role", {"aegis_database_passwords": {"nobody": "x"}}, "aegis_database_passwords names roles that do not exist"),
    ("unseal threshold above the shares", {"aegis_secrets_key_threshold": 3}, "aegis_secrets_key_threshold must be between 1 and"),
    ("unknown key in the realm overrides", {"aegis_iam_realm_overrides": {"bogusOption": 1}},
     "aegis_iam_realm_overrides: bogusOption. Supported parameters include"),
    ("gateway authentication without a JWKS URI", {"aegis_seal_gateway_auth_enabled": True},
     "aegis_seal_gateway_auth_enabled is true but aegis_seal_gateway_operator_jwks_uri is empty"),
    ("bad retention and bad scrape job at once",
     {"aegis_observability_loki_retention": "36h", "aegis_observability_scrape_targets": {"database": [{"job": "a b"}]}},
     ("aegis_observability_loki_retention (36h) must be whole days", "needs a job name")),
    ("unknown client key in the realm overrides",
     {"aegis_iam_realm_overrides": {"clients": [{"client_id": "x", "redirect_uri": "y"}]}}, "clients.redirect_uri"),
]


def run_case(index, extra, tmp):
    prefix = extra.get("aegis_name_prefix", "aegisbad%d" % index)
    config_dir = extra.get("aegis_config_dir", "/etc/aegisbad%d" % index)
    variables = {"aegis_name_prefix": "aegisbad%d" % index, "aegis_secrets_dir": str(tmp / ("secrets%d" % index)),
                 "aegis_config_dir": "/etc/aegisbad%d" % index, "aegis_images_archive_dir": str(tmp / "no-archives"),
                 **extra}
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(ROOT / "inventories" / "local"),
         str(ROOT / "playbooks" / "site.yml"), "-e", json.dumps(variables)],
        capture_output=True, text=True, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    return prefix, config_dir, result


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad-inputs")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run_case, index, extra, tmp) for index, (dummy, extra, dummy2) in enumerate(CASES)]
        return [future.result() for future in futures]


def podman_names(kind):
    """Names of the podman objects of this kind (none on a machine without podman: nothing could have made one)."""
    if not shutil.which("podman"):
        return []
    return subprocess.run(["podman", kind, "ls", "--format", "{{.Name}}"], capture_output=True, text=True,
                          check=True).stdout.split()


def test_there_are_enough_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case[0] for case in CASES])
def test_bad_input_fails_before_any_change_naming_the_variable(outcomes, index):
    prefix, config_dir, result = outcomes[index]
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    expected = CASES[index][2]
    for part in expected if isinstance(expected, tuple) else (expected,):
        assert part in output, output[-3000:]
    assert re.search(r"(?m)^localhost\s+: ok=\d+\s+changed=0\s", output), output[-3000:]
    assert not os.path.exists(config_dir)
    for kind in ("pod", "volume", "network"):
        assert not [name for name in podman_names(kind) if name.startswith(prefix + "-")], kind
