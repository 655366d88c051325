"""Knowledge search benchmark: how fast an agent or a customer finds an article among N.

    .venv/bin/python bench/knowledge_search.py                 # PostgreSQL and SQLite, 100,000 articles
    .venv/bin/python bench/knowledge_search.py --engine sqlite --articles 20000

For each database (PostgreSQL `--postgres-url`, default postgres://postgres@127.0.0.1/kefu_bench_kb,
created when missing; SQLite `--sqlite-path`, default /tmp/kefu_bench_kb.sqlite3) it migrates,
generates articles up to `--articles` from the demo knowledge base's sentences (published, both
audiences, some with validity windows, indexed exactly as `kefu.knowledge.search` indexes),
then times `kefu.knowledge.search.search_articles` for a fixed mix of questions: agents' and
customers' searches, synonyms, category filters, mistyped names, and questions that match no
article at once (the any-word fallback). Prints p50/p95/p99 per database, writes
bench/results/knowledge_search.json and exits 1 when a p95 is over the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1/kefu_bench_kb"
DEFAULT_SQLITE_PATH = Path(tempfile.gettempdir()) / "kefu_bench_kb.sqlite3"
TARGET_P95_MS = 50.0
BATCH = 2_000

# What agents and customers type (the acceptance searches first), each (question, public_only, category code).
QUESTIONS: list[tuple[str, bool, str | None]] = [
    ("机顶盒没信号", False, None),
    ("盒子黑屏", True, None),
    ("光猫红灯", False, None),
    ("宽带网速慢", True, None),
    ("家里网络很卡", True, None),
    ("WiFi密码怎么改", True, None),
    ("宽带账号密码忘了", False, None),
    ("欠费停机怎么恢复", True, None),
    ("携号转网", True, None),
    ("畅享套餐88元", True, "tariffs"),
    ("畅想套餐", True, None),
    ("千兆宽带多少钱", True, "tariffs"),
    ("鼓楼营业厅", True, "outlets"),
    ("鼓搂营业厅地址", True, None),
    ("电子发票", True, None),
    ("智能卡未授权E04", False, "faults"),
    ("马赛克", False, "faults"),
    ("遥控器失灵", True, None),
    ("移机收费", True, None),
    ("报停", False, None),
    ("国际漫游", True, None),
    ("副卡", True, None),
    ("互动电视回看", False, None),
    ("投诉处理时限", False, "processes"),
    ("宽带", False, None),
    ("套餐", True, None),
    ("机顶盒", False, None),
    ("手机无服务", True, None),
    ("首问负责", False, "policies"),
    ("退费审批权限", False, None),
    ("蓝牙遥控器配对 电视墙", False, None),
    ("银行卡自动扣费失败", True, None),
]
AREAS = ["玄武", "秦淮", "鼓楼", "姑苏", "吴中", "虎丘", "梅园新村", "夫子庙", "湖南路", "观前", "木渎", "狮山"]
YEARS = ["2024版", "2025版", "2026版", "修订", "试行", "补充说明", "常见问题", "处理口径"]


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname="postgres", autocommit=True,
    ) as admin:  # fmt: skip
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            print(f"creating database {name}", flush=True)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "count": len(samples_ms),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(samples_ms), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


class Generator:
    """Believable articles from the demo knowledge base's own sentences, segmented once per sentence."""

    def __init__(self, seed: int) -> None:
        from kefu.knowledge import text
        from kefu.knowledge.demo import article_records
        from kefu.knowledge.diffs import sentences
        from kefu.knowledge.richtext import plain_text

        self.text = text
        self.rng = random.Random(seed)
        self.pools: dict[str, list[str]] = {}
        self.titles: dict[str, list[str]] = {}
        self.tags: dict[str, list[list[str]]] = {}
        for record in article_records(dt.date.today()):
            category = record["category"]
            self.pools.setdefault(category, []).extend(sentences(plain_text(record["html"])))
            self.titles.setdefault(category, []).append(record["title"])
            self.tags.setdefault(category, []).append(list(record.get("tags", [])))
        self.categories = sorted(self.pools)
        self._words: dict[str, list[str]] = {}

    def words(self, piece: str) -> list[str]:
        found = self._words.get(piece)
        if found is None:
            found = self._words[piece] = self.text.index_words(piece)
        return found

    def article(self) -> dict[str, Any]:
        rng = self.rng
        category = rng.choice(self.categories)
        title = f"{rng.choice(AREAS)}{rng.choice(self.titles[category])}（{rng.choice(YEARS)}）"
        body = [rng.choice(self.pools[category]) for _ in range(rng.randint(5, 10))]
        tags = rng.choice(self.tags[category])
        audience = "internal" if rng.random() < 0.3 else "public"
        valid_until = None
        if rng.random() < 0.1:  # tariffs and campaigns that end, some already over
            valid_until = dt.date.today() + dt.timedelta(days=rng.randint(-400, 400))
        title_words = [word for piece in [title] for word in self.words(piece)]
        body_words = [word for sentence in body for word in self.words(sentence)]
        tag_words = [word for tag in tags for word in self.words(tag)]
        return {
            "category": category,
            "title": title[:200],
            "body_text": "\n".join(body),
            "tags": tags,
            "audience": audience,
            "valid_until": valid_until,
            "title_terms": " ".join(title_words),
            "tag_terms": " ".join(tag_words),
            "body_terms": " ".join(body_words),
            "names": {word for word in title_words + tag_words if 2 <= len(word) <= 64},
        }


def fill(target: int, seed: int) -> int:
    """Add generated, published, indexed articles until there are `target`; returns how many there are."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.html import escape

    from kefu.knowledge.choices import ArticleStatus
    from kefu.knowledge.models import Article, ArticleVersion, Category, SearchDocument, SearchTerm
    from kefu.knowledge.text import sound_of

    have = Article.objects.count()
    if have >= target:
        return have
    categories = {category.code: category.pk for category in Category.objects.all()}
    generator = Generator(seed + have)
    now = timezone.now()
    known_names = set(SearchTerm.objects.values_list("term", flat=True))
    began = time.monotonic()
    print(f"{have:,} articles; generating up to {target:,} ...", flush=True)
    for start in range(have, target, BATCH):
        count = min(BATCH, target - start)
        drafts = [generator.article() for _ in range(count)]
        with transaction.atomic():
            articles = Article.objects.bulk_create(
                [
                    Article(code=f"BENCH{start + offset:07d}", status=ArticleStatus.PUBLISHED, published_at=now)
                    for offset in range(count)
                ]
            )
            versions = ArticleVersion.objects.bulk_create(
                [
                    ArticleVersion(
                        article=article, number=1, title=draft["title"],
                        body="".join(f"<p>{escape(line)}</p>" for line in draft["body_text"].splitlines()),
                        body_text=draft["body_text"], category_id=categories[draft["category"]],
                        audience=draft["audience"], tags=draft["tags"], valid_until=draft["valid_until"],
                        published_at=now,
                    )
                    for article, draft in zip(articles, drafts, strict=True)
                ]
            )  # fmt: skip
            for article, version in zip(articles, versions, strict=True):
                article.current_version = version
                article.published_version = version
            Article.objects.bulk_update(articles, ["current_version", "published_version"], batch_size=500)
            SearchDocument.objects.bulk_create(
                [
                    SearchDocument(
                        article=article, title_terms=draft["title_terms"], tag_terms=draft["tag_terms"],
                        body_terms=draft["body_terms"], category_id=categories[draft["category"]],
                        audience=draft["audience"], valid_until=draft["valid_until"],
                    )
                    for article, draft in zip(articles, drafts, strict=True)
                ]
            )  # fmt: skip
            names = set().union(*(draft["names"] for draft in drafts)) - known_names
            SearchTerm.objects.bulk_create(
                [SearchTerm(term=name, sound=sound_of(name)[:200]) for name in names], ignore_conflicts=True
            )
            known_names |= names
        done = start + count
        if done % 20_000 < BATCH or done == target:
            print(f"  {done:,}/{target:,} ({(done - have) / (time.monotonic() - began):,.0f}/s)", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE knowledge_searchdocument")
            cursor.execute("ANALYZE knowledge_article")
            cursor.execute("ANALYZE knowledge_searchterm")
        else:
            cursor.execute("INSERT INTO knowledge_search_fts(knowledge_search_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    return Article.objects.count()


def run_one(options: argparse.Namespace) -> dict[str, Any]:
    """Fill and time the database of DATABASE_URL (one Django setup per process)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kefu.knowledge import search
    from kefu.knowledge.models import Category, SearchDocument
    from kefu.knowledge.queries import category_with_children

    call_command("migrate", verbosity=0)
    articles = fill(options.articles, options.seed)
    by_code = {category.code: category.pk for category in Category.objects.filter(parent__isnull=True)}
    rng = random.Random(options.seed)
    plan = [rng.choice(QUESTIONS) for _ in range(options.searches)]

    def one(question: str, public_only: bool, category: str | None) -> search.SearchResults:
        filters = search.SearchFilters(category_ids=category_with_children(by_code[category]) if category else ())
        return search.search_articles(question, public_only=public_only, filters=filters)

    for question, public_only, category in QUESTIONS:  # warm caches, jieba and the connection
        one(question, public_only, category)
    timings: list[float] = []
    per_question: dict[str, list[float]] = {}
    empty = 0
    for question, public_only, category in plan:
        began = time.perf_counter()
        results = one(question, public_only, category)
        elapsed = (time.perf_counter() - began) * 1000
        timings.append(elapsed)
        per_question.setdefault(question, []).append(elapsed)
        empty += results.found_nothing
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        server = cursor.fetchone()[0]
    slowest = sorted(((statistics.median(values), text) for text, values in per_question.items()), reverse=True)[:5]
    return {
        "vendor": connection.vendor,
        "server": server,
        "articles": articles,
        "indexed": SearchDocument.objects.count(),
        "searches": percentiles(timings),
        "empty_results": empty,
        "slowest_median_ms": {text: round(value, 2) for value, text in slowest},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--articles", type=int, default=100_000, help="articles the database should hold")
    parser.add_argument("--searches", type=int, default=1_000, help="timed searches per database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--sqlite-path", type=Path, default=DEFAULT_SQLITE_PATH)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "knowledge_search.json")
    parser.add_argument("--part", action="store_true", help=argparse.SUPPRESS)  # one database, JSON on stdout
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.config.settings")
    os.environ.setdefault("KEFU_DATA_DIR", str(Path(tempfile.gettempdir()) / "kefu-bench-kb"))

    if options.part:
        result = run_one(options)
        print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
        return 0

    engines = ["postgresql", "sqlite"] if options.engine == "both" else [options.engine]
    results: dict[str, Any] = {}
    for engine in engines:
        if engine == "postgresql":
            ensure_postgres_database(options.postgres_url)
            url = options.postgres_url
        else:
            url = f"sqlite:///{options.sqlite_path}"
        print(f"\n=== {engine}: {url}", flush=True)
        child = subprocess.run(
            [sys.executable, __file__, "--part", "--engine", engine, "--articles", str(options.articles),
             "--searches", str(options.searches), "--seed", str(options.seed)],
            env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        lines = child.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith("RESULT ")), flush=True)
        results[engine] = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])

    print(f"\nknowledge search, {options.searches:,} searches per database")
    print(f"{'database':<12}{'articles':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'empty':>7}")
    passed = True
    for engine, result in results.items():
        row = result["searches"]
        passed &= row["p95_ms"] < TARGET_P95_MS
        print(
            f"{engine:<12}{result['articles']:>10,}{row['p50_ms']:>10.2f}{row['p95_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['max_ms']:>10.2f}{result['empty_results']:>7}"
        )
    print(f"\ntarget: p95 < {TARGET_P95_MS:.0f} ms on each database -> {'PASS' if passed else 'FAIL'}")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(
        json.dumps(
            {
                "benchmark": "knowledge_search",
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "host": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
                "questions": [question for question, _, _ in QUESTIONS],
                "target": {"p95_ms": TARGET_P95_MS, "passed": passed},
                "results": results,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"written {options.output.relative_to(ROOT) if options.output.is_relative_to(ROOT) else options.output}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
