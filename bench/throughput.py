"""Pages under load and the overview's first-load transfer (issue 14), for bench/run.py.

The app runs as production runs it: gunicorn with the image's worker settings (the
Dockerfile's CMD: 3 sync workers, access log on), DEBUG off, static files collected
(hashed, precompressed) and served by whitenoise, behind a TLS proxy (it says so with
X-Forwarded-Proto, as SECURE_PROXY_SSL_HEADER asks), on loopback. With $BENCH_REDIS_URL
the cache is that Redis, as in docker-compose.yml; without it each worker caches alone.

The load client is wrk (Debian's package: `apt-get install wrk`): a bounded number of
connections for a fixed time, each sending its next request once the last one is
answered, so the figures are what the server sustains, not what a queue holds.

Each load sends what a browser that has visited once sends: the session cookie and the
CSRF cookie the first page set (without it every page would mint a new CSRF secret and
set it, as no browser makes it do). "304 for an unchanged reload" loads the overview with
the ETag its first answer carried (If-None-Match), as a browser's reload does
(pillars/page_cache.py).

Where a cached page's time goes (cProfile of 200 reloads of the overview, in-process on
PostgreSQL, 2026-12-01): before, seven queries (the session, the user, their two
permission reads, the aggregates' state and pending rebuilds, the plan's publication),
whose ORM compiling cost more CPU than the rest; now, with Redis, one written-out query
(pillars/page_cache.py), the session and the user from Redis (metrics/sessions.py,
metrics/user_cache.py) and the page: 2.6 ms of CPU a hit against 0.5 ms for /ok, with
DEBUG off (cProfile with process time, 400 hits, load 12). On this shared 2-core machine
the rate under wrk follows the round trips more than the CPU: each of the four (Redis
session, Redis user, the key's query, Redis page) waits for the run queue, so at a load
of 12 the overview made 35 req/s against /ok's 282 (a 304, three round trips: 55).

2026-12-02: the session and the user in one Redis round trip (an MGET with the session,
metrics/sessions.py and user_cache.py) and the Content-Security-Policy built once
(metrics/middleware.py): three round trips a cached hit (the MGET, the key's query, the
page; two for a 304), and 1.1-1.7 ms of CPU a hit against 1.6-1.9 before (the least of
nine runs of 400 hits, in-process, load 3-4). Under wrk on LACOE's plan, before and after
in the same session, twice, at a load of 4-6 (the bench itself is most of it): the
overview 0.20 and 0.13 of /ok before, 0.20 and 0.35 after; the pillar 0.18 and 0.23
before, 0.23 and 0.26 after; the 304 reload 0.21 and 0.22 before, 0.32 and 0.31 after.

Alone (`python bench/throughput.py --database postgres://.../name`) it migrates that
database, loads LACOE's plan and figures (fixtures/lacoe), signs in a leadership user and
loads the plan's overview and its first pillar: the throughput figures without the
synthetic scales of bench/run.py.
"""

import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The Dockerfile's CMD, bound to loopback.
GUNICORN_ARGS = ["--workers", "3", "--access-logfile", "-"]
CONNECTIONS = 50
SECONDS = 30
HEADERS = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_environment(secret_key):
    """The environment of the web container, pointed at the bench database. The secret
    key is the bench's own, so that the session it signed in reads as signed in."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "REDIS_URL_FILE", "SECRET_KEY_FILE"):
        env.pop(name, None)
    env.update(DEBUG="0", SECRET_KEY=secret_key, ALLOWED_HOSTS="127.0.0.1,localhost",
               SECURE_PROXY_SSL_HEADER="1", LOG_LEVEL="WARNING")
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


class Server:
    """gunicorn serving the app on a free loopback port, for a `with` block."""

    def __init__(self, env, note):
        self.env, self.note = env, note
        self.port = free_port()
        self.process = self.log = None

    def __enter__(self):
        bin_dir = Path(sys.executable).parent
        env = self.env
        # Hashed, compressed names in STATIC_ROOT (staticfiles/, ignored by git), as the
        # image's collectstatic makes them.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env,
            check=True, cwd=ROOT,
        )
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command
            [str(bin_dir / "gunicorn"), "lacoe_kpi.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", *GUNICORN_ARGS, "--pythonpath", str(ROOT)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get("/ok")[0] == 200:
                    self.note(f"gunicorn up on 127.0.0.1:{self.port}")
                    return self
            except OSError:
                time.sleep(0.5)
        self.log.seek(0)
        log = self.log.read()[-2000:]
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer /ok within 60 s:\n{log}")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log is None:
            return
        self.log.seek(0)
        errors = [line for line in self.log if "Traceback" in line or "ERROR" in line]
        if errors:
            self.note(f"gunicorn logged {len(errors)} error lines, the first: {errors[0].strip()}")
        self.log.close()

    def get(self, path, headers=None):
        """(status, headers, raw body: as sent, compressed or not)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1", **HEADERS,
                                                     **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def wrk(server, path, cookie, headers=None):
    """wrk's figures for `path`: requests/s, errors, p50 and p99 in ms."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    for name, value in {**HEADERS, "Cookie": cookie, **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - our own fixed command
        [*command, f"http://127.0.0.1:{server.port}{path}"], capture_output=True, text=True,
        check=True,
    ).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "errors": errors + (int(non_2xx[1]) if non_2xx else 0),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", output)[1]),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output)[1]),
    }


def _ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def browser_cookie(server, path, cookie):
    """`cookie` plus the CSRF cookie the first visit of `path` sets, as a browser keeps it."""
    headers = server.get(path, {"Cookie": cookie})[1]
    found = re.search(r"(csrftoken=[^;]+)", headers.get("Set-Cookie", ""))
    return f"{cookie}; {found[1]}" if found else cookie


def throughput(server, urls, cookie, figure, note):
    """Each page and /ok under load; the overview's rate against /ok's; the overview's
    unchanged reload (If-None-Match: its ETag), which should be a 304."""
    if shutil.which("wrk") is None:
        figure("throughput", "not measured (wrk absent: apt-get install wrk)")
        return
    cookie = browser_cookie(server, urls["overview_page"], cookie)
    rates = {}
    loads = {"ok_view": ("/ok", {}), **{name: (path, {}) for name, path in urls.items()},
             "overview_reload_304": (urls["overview_page"], {"If-None-Match": None})}
    for name, (path, headers) in loads.items():
        if "If-None-Match" in headers:  # read now: the page's key holds a 5-minute window
            headers = {"If-None-Match": server.get(path, {"Cookie": cookie})[1].get("ETag", "")}
        status = server.get(path, {"Cookie": cookie, **headers})[0]
        expected = 304 if "If-None-Match" in headers else 200
        if status != expected:  # wrk counts a redirect to sign-in as a success
            figure(f"throughput_{name}_status", status)
            continue
        note(f"load on {path} {headers or ''}: {CONNECTIONS} connections, {SECONDS} s")
        result = wrk(server, path, cookie, headers)
        rates[name] = result["requests_per_second"]
        figure(f"throughput_{name}_requests_per_second", result["requests_per_second"], "req/s")
        figure(f"throughput_{name}_errors", result["errors"], "errors")
        figure(f"throughput_{name}_p50_ms", result["p50_ms"], "ms")
        figure(f"throughput_{name}_p99_ms", result["p99_ms"], "ms")
        figure(f"load_average_1min_after_{name}", os.getloadavg()[0])
    for name in ("overview_page", "pillar_page", "overview_reload_304"):
        if rates.get("ok_view") and name in rates:
            short = name.removesuffix("_page")
            figure(f"throughput_{short}_vs_ok_ratio", rates[name] / rates["ok_view"])
            figure(f"throughput_{short}_vs_ok_ratio_aim", ">= 0.5")
    figure("throughput_errors_aim", 0, "errors")


class _Assets(HTMLParser):
    """The same-origin files a browser fetches for a page: stylesheets, scripts, icons."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        url = attrs.get("href") if tag == "link" else attrs.get("src") if tag in (
            "script", "img") else None
        if url and url.startswith("/") and not url.startswith("//") and url not in self.urls:
            self.urls.append(url)


def first_load(server, path, cookie, figure, note):
    """Bytes on the wire for a first visit of `path` with an empty browser cache: the page
    and every file it loads (and the fonts and images its stylesheets name), each as the
    server sends it to a browser that accepts gzip. The app sends pages uncompressed
    (a proxy compresses them): the page counts at gzip level 6, nginx's and Django's."""
    status, headers, html = server.get(path, {"Cookie": cookie})
    if status != 200:
        figure("overview_first_load_status", status)
        return
    page = html if headers.get("Content-Encoding") == "gzip" else gzip.compress(html, 6)
    parser = _Assets()
    parser.feed(html.decode("utf-8", "replace"))
    queue, assets = list(parser.urls), 0
    while queue:
        url = queue.pop(0)
        status, headers, body = server.get(url)
        if status != 200:
            note(f"asset {url} answered {status}")
            continue
        assets += len(body)
        note(f"asset {url}: {len(body):,} bytes ({headers.get('Content-Encoding', 'identity')})")
        if url.split("?")[0].endswith(".css"):
            text = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
            base = url.rsplit("/", 1)[0] + "/"
            for ref in re.findall(rb"url\(\s*['\"]?([^'\")]+)", text):
                ref = ref.decode()
                if not ref.startswith(("data:", "http:", "https:", "//")):
                    queue.append(ref if ref.startswith("/") else base + ref)
    figure("overview_first_load_bytes_html_gzip", len(page), "bytes")
    figure("overview_first_load_bytes_assets", assets, "bytes")
    total = len(page) + assets
    figure("overview_first_load_mb", total / 1_000_000, "MB")
    figure("overview_first_load_mb_aim", 0.6, "MB")


# --- Alone, on LACOE's plan ------------------------------------------------------------


def _print_figure(name, value, unit=""):
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def _print_note(message):
    print(f"[throughput] {message}", file=sys.stderr, flush=True)


def main(argv=None):
    import argparse
    import secrets

    parser = argparse.ArgumentParser(description="throughput of the pages on LACOE's plan")
    parser.add_argument("--database", required=True, help="DATABASE_URL to set up and use")
    args = parser.parse_args(argv)
    secret_key = secrets.token_urlsafe(50)
    os.environ.update(DATABASE_URL=args.database, DEBUG="1", SECRET_KEY=secret_key,
                      DJANGO_SETTINGS_MODULE="lacoe_kpi.settings", LOG_LEVEL="WARNING")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from metrics import roles
    from metrics.aggregates import rebuild
    from pillars.models import StrategicPlan

    _print_note("migrate, load LACOE's plan and figures, rebuild")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_plan", str(ROOT / "fixtures" / "lacoe"), verbosity=0)
    rebuild()
    user, _ = get_user_model().objects.get_or_create(username="bench-leadership")
    user.groups.add(Group.objects.get(name=roles.LEADERSHIP))
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    plan = StrategicPlan.objects.filter(is_synthetic=False).order_by("-pk").first()
    urls = {"overview_page": plan.get_absolute_url(),
            "pillar_page": plan.pillars.order_by("order").first().get_absolute_url()}
    _print_figure("load_average_1min_start", os.getloadavg()[0])
    env = production_environment(secret_key)
    _print_figure("throughput_cache", "redis" if env.get("REDIS_URL") else "per worker (locmem)")
    with Server(env, _print_note) as server:
        throughput(server, urls, cookie, _print_figure, _print_note)


if __name__ == "__main__":
    main()
