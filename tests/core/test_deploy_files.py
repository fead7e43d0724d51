"""The production stack's files (docker-compose.yml, the proxy's nginx.conf, .env.example) keep their promises:
every service is health-checked, migrations run once before the app starts, web and worker scale out, one beat,
and every setting the app reads is documented in .env.example with no secret written in the compose file.

Docker Compose is not run here: these read the files as Compose would (YAML, with its merge keys)."""

import ast
import re

import pytest
import yaml
from django.conf import settings

ROOT = settings.BASE_DIR
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _command(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def _env_example() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))


def _settings_environment_variables() -> set[str]:
    """Every environment variable earlyhelp/settings.py reads: os.environ.get / os.getenv / os.environ[...] and
    its env_* helpers, each with the variable's name as a literal."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / "earlyhelp" / "settings.py").read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = ast.unparse(node.func)
            if function in ("os.environ.get", "os.getenv") or re.fullmatch(r"env_\w+", function):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.literal_eval(node.slice))
    return names


def test_every_long_running_service_has_a_health_check(services):
    for name, service in services.items():
        if name == "migrate":
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), f"{name} has no health check"
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_the_migrate_job_runs_once_and_every_app_container_waits_for_it(services):
    migrate = services["migrate"]
    assert "manage.py migrate --noinput" in _command(migrate)
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert "migrate" not in _command(services[name]), f"{name} must not migrate on start"


def test_web_runs_several_gunicorn_workers_with_a_graceful_stop_and_no_access_log(services):
    web = services["web"]
    command = _command(web)
    assert command.startswith("gunicorn earlyhelp.wsgi:application")
    assert "--workers" not in command, "gunicorn takes its workers from WEB_CONCURRENCY"
    assert web["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-3}"
    graceful = int(re.search(r"--graceful-timeout (\d+)", command).group(1))
    assert int(web["stop_grace_period"].rstrip("s")) > graceful
    assert "access-log" not in command
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_web_publishes_no_port_so_it_scales_behind_the_proxy(services):
    assert "ports" not in services["web"] and "ports" not in services["worker"]
    proxy = services["proxy"]
    assert proxy["ports"] == ["127.0.0.1:${HTTP_PORT:-8000}:8000"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    # Re-resolved at run time (a variable in proxy_pass, Docker's resolver), so scaling web needs no proxy restart.
    assert "resolver 127.0.0.11 valid=10s" in nginx
    assert re.search(r"set \$(\w+) http://web:8000;\s+proxy_pass \$\1;", nginx)
    assert "proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;" in nginx
    assert "proxy_set_header Host $host;" in nginx


def test_the_worker_takes_one_task_at_a_time_and_answers_its_own_health_check(services):
    worker = services["worker"]
    command = _command(worker)
    assert command.startswith("celery -A earlyhelp worker")
    assert "--prefetch-multiplier=1" in command
    assert "-n celery@%h" in command
    # Its own node, not whichever worker answers first.
    assert "inspect ping -d celery@$$HOSTNAME" in " ".join(worker["healthcheck"]["test"])
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_there_is_one_beat_whose_schedule_survives_and_whose_heartbeat_is_checked(compose, services):
    beat = services["beat"]
    assert _command(beat).startswith("celery -A earlyhelp beat")
    assert beat["deploy"]["replicas"] == 1
    schedule = re.search(r"--schedule (\S+)", _command(beat)).group(1)
    assert schedule.startswith("/app/beat/")
    assert "beat:/app/beat" in beat["volumes"] and "beat" in compose["volumes"]
    check = " ".join(beat["healthcheck"]["test"])
    assert f"glob.glob('{schedule}*')" in check and "getmtime" in check
    writable = "mkdir -p /app/media /app/beat /app/backups && chown earlyhelp /app/media /app/beat /app/backups"
    assert writable in (ROOT / "Dockerfile").read_text()


def test_media_is_one_volume_shared_by_web_and_worker(compose, services):
    for name in ("web", "worker"):
        assert "media:/app/media" in services[name]["volumes"], name
        assert services[name]["environment"]["MEDIA_ROOT"] == "/app/media"
    assert "media" in compose["volumes"]


def test_configuration_comes_from_env_and_no_secret_is_written_in_the_compose_file(services):
    text = (ROOT / "docker-compose.yml").read_text()
    settings_lines = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "SECRET_KEY" not in settings_lines, "the secret key comes from .env only"
    for name in ("migrate", *APP_SERVICES):
        assert services[name]["env_file"] == ".env", name
        assert services[name]["environment"]["DJANGO_ENV"] == "production", name
    # Passwords only from .env, with no default: compose refuses to start without them.
    for password in re.findall(r"\$\{(\w*PASSWORD\w*)([^}]*)\}", text):
        assert password[1].startswith(":?"), password
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "--requirepass" in services["redis"]["command"]


def test_env_example_lists_every_variable_the_settings_read():
    missing = _settings_environment_variables() - _env_example()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_lists_every_variable_the_compose_file_uses():
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    missing = used - _env_example()
    assert not missing, f"add to .env.example: {sorted(missing)}"
