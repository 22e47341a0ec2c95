from ansible_collections.aegis.platform.plugins.filter.checks import published_port_errors, setting_errors

GOOD = {"aegis_name_prefix": "aegis", "aegis_bind_address": "127.0.0.1", "aegis_network_subnet": "",
        "aegis_image_source": "upstream", "aegis_version": "0.15.0-pre-alpha", "aegis_secrets_dir": "/tmp/x/y",
        "aegis_config_dir": "/etc/aegis"}


def test_good_settings_pass():
    assert setting_errors(GOOD) == []
    assert setting_errors(dict(GOOD, aegis_bind_address="::", aegis_network_subnet="10.89.0.0/24")) == []


def test_each_bad_setting_is_named():
    for name, value in [("aegis_name_prefix", "-x"), ("aegis_bind_address", "host"), ("aegis_network_subnet", "1.2.3/99"),
                        ("aegis_version", " "), ("aegis_secrets_dir", "relative"), ("aegis_config_dir", "etc")]:
        errors = setting_errors(dict(GOOD, **{name: value}))
        assert len(errors) == 1 and errors[0].startswith(name), (name, errors)


def test_a_host_port_two_pods_publish_names_both_variables():
    published = {"iam": ["127.0.0.1:8200:8200"], "secrets": ["127.0.0.1:8200:8200"], "database": ["127.0.0.1:5432:5432"]}
    ports = {"aegis_iam_port": 8200, "aegis_secrets_port": "8200", "aegis_database_port": 5432}
    assert published_port_errors(published, ports) == [
        "aegis_iam_port / aegis_secrets_port: pods iam and secrets all publish host port 8200 on 127.0.0.1;"
        " give each its own port"]
    assert published_port_errors({"iam": ["127.0.0.1:8180:8180"], "secrets": ["127.0.0.1:8200:8200"]}, ports) == []
