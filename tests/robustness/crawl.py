"""Follow every same-origin link a user can reach, with Django's test client."""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

# Leaving these alone: logging out ends the crawl, the admin is Django's own, and the
# API answers JSON (the API tests cover it).
SKIPPED_PREFIXES = ("/logout/", "/admin/", "/api/v1/", "/static/")
STYLED_ERROR_MARK = b'class="card error-page"'


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = {"a": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.links.append(value)


def links_of(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for link in parser.links:
        url, _ = urldefrag(urljoin(f"http://testserver{base}", link))
        parts = urlsplit(url)
        if parts.netloc != "testserver" or parts.scheme not in ("http", "https"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path and not path.startswith(SKIPPED_PREFIXES):
            found.append(path)
    return found


@dataclass
class CrawlReport:
    visited: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def crawl(client, starts: list[str], limit: int = 600) -> CrawlReport:
    """GET every page reachable from ``starts``; a problem is a 5xx, or a 403/404 that is
    not Assay's styled error page."""
    report = CrawlReport()
    queue = deque(starts)
    referrer = dict.fromkeys(starts, "(start)")
    while queue and len(report.visited) < limit:
        path = queue.popleft()
        if path in report.visited:
            continue
        response = client.get(path)
        status = response.status_code
        report.visited[path] = status
        where = f"{path} (linked from {referrer[path]})"
        if status >= 500:
            error = getattr(response, "exc_info", None)
            report.problems.append(f"{status} at {where}" + (f": {error[1]}" if error else ""))
            continue
        if status in (403, 404) and STYLED_ERROR_MARK not in response.content:
            report.problems.append(f"unstyled {status} at {where}")
        if status in (301, 302, 303):
            targets = links_of(f'<a href="{response["Location"]}">', path)
        elif response.get("Content-Type", "").startswith("text/html"):
            targets = links_of(response.content.decode(), path)
        else:
            targets = []
        for target in targets:
            if target not in report.visited and target not in referrer:
                referrer[target] = path
                queue.append(target)
    return report
