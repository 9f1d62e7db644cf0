#!/usr/bin/python3
"""Golden outputs for the render functions, computed by graphite-web itself.

Runs graphite-web 1.1.8 as Debian 12 packages it (apt-get install
graphite-web python3-whisper; run with Debian's /usr/bin/python3). Every case
target is parsed and evaluated by graphite-web's own evaluator; only
fetchData is replaced, by an in-memory whisper-like read of DATA (points at
10 s steps; a read over (from, until] starts at from - from % 10 + 10, as
whisper aligns it). functions_golden_test.cc writes the same points into a
real SeriesStore and compares Hourglass's answers with functions.json.

  /usr/bin/python3 tests/query/golden/make_golden.py

writes functions.json (render cases: the series, and graphite-web's
format=raw body of them), function_params.json (each
implemented function's /functions group and params) and formats.json (whole
/render bodies: format=csv, raw and json with maxDataPoints, noNullPoints and
jsonp, written by graphite-web's own render/views.py renderView* functions;
render_format_golden_test.cc asks Hourglass's /render for the same) next to
this script.
"""
import fnmatch
import pytz
import json
import math
import os
import random
import re
import sys
from datetime import datetime, timezone

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'graphite.settings')
import tempfile  # noqa: E402
import warnings  # noqa: E402
warnings.filterwarnings('ignore')
import django  # noqa: E402
from django.conf import settings  # noqa: E402

# seriesByTag goes through graphite-web's own LocalDatabaseTagDB, over a
# throwaway sqlite file (never /var/lib/graphite).
TAG_DIR = tempfile.TemporaryDirectory()
settings.DATABASES['default'] = {'ENGINE': 'django.db.backends.sqlite3',
                                 'NAME': os.path.join(TAG_DIR.name, 'tags.db')}
django.setup()
from django.core.management import call_command  # noqa: E402
call_command('migrate', verbosity=0, interactive=False)
from graphite.logger import log  # noqa: E402
from graphite.render.grammar import grammar  # noqa: E402
from graphite.tags.localdatabase import LocalDatabaseTagDB  # noqa: E402
from graphite.render import evaluator  # noqa: E402
from graphite.render.datalib import TimeSeries  # noqa: E402
from graphite.errors import InputParameterError  # noqa: E402

NOW = 1420110000  # kNow in tests/query/test_store.h
STEP = 10


def wave(n, f):
    return [f(i) for i in range(n)]


N = 120  # 20 minutes of points ending at NOW
DATA = {
    'servers.web1.cpu.user': wave(N, lambda i: None if i % 7 == 3 else round(10 + 5 * math.sin(i / 5.0), 3)),
    'servers.web1.cpu.system': wave(N, lambda i: float(i % 9)),
    'servers.web2.cpu.user': wave(N, lambda i: None if i % 4 == 0 else i / 3.0),
    'servers.web2.cpu.system': wave(N, lambda i: -2.5 + (i % 5)),
    'counters.req.count': wave(N, lambda i: float(i * 7 if i < 70 else (i - 70) * 3)),
    'gaps.a': wave(N, lambda i: float(i) if i % 10 in (0, 1) else None),
    'gaps.b': wave(N, lambda i: 0.0 if i % 3 == 0 else 1.0),
    'disk.used;dc=eu;host=a': wave(N, lambda i: 50.0 + i % 11),
    'disk.used;dc=us;host=b': wave(N, lambda i: None if i % 5 == 1 else 70.5 - i % 6),
    'disk.free;dc=eu;host=a': wave(N, lambda i: 100.0 - i % 11),
}
TAGDB = LocalDatabaseTagDB(settings, cache=None, log=log)
for _name in DATA:
    if ';' in _name:
        TAGDB.tag_series(_name)
FIRST_TS = NOW - (N - 1) * STEP  # DATA[name][i] is at FIRST_TS + i*STEP


def expand_braces(pattern):
    m = re.search(r'\{([^{}]*)\}', pattern)
    if not m:
        return [pattern]
    out = []
    for alt in m.group(1).split(','):
        out.extend(expand_braces(pattern[:m.start()] + alt + pattern[m.end():]))
    return out


def match(pattern, name):
    for p in expand_braces(pattern):
        pn, nn = p.split('.'), name.split('.')
        if len(pn) == len(nn) and all(fnmatch.fnmatchcase(b, a) for a, b in zip(pn, nn)):
            return True
    return False


def fetch_names(path):
    """Names a path expression reads, as graphite-web's STORE.fetch resolves them."""
    if not path.startswith('seriesByTag('):
        return [name for name in sorted(DATA) if match(path, name)]
    exprs = tuple(t.string[1:-1] for t in grammar.parseString(path).expression.call.args if t.string)
    return sorted(set(TAGDB.find_series(exprs)))


def fake_fetch(ctx, path):
    start = int(ctx['startTime'].timestamp())
    end = min(int(ctx['endTime'].timestamp()), NOW)  # whisper: until > now reads to now
    f = start - start % STEP + STEP
    u = end - end % STEP + STEP
    out = []
    for name in fetch_names(path):
        values = []
        for t in range(f, u, STEP):
            i = (t - FIRST_TS) // STEP
            values.append(DATA[name][i] if 0 <= i < N else None)
        s = TimeSeries(name, f, u, STEP, values, xFilesFactor=ctx.get('xFilesFactor'))
        s.pathExpression = path
        out.append(s)
    return out


# Hourglass rejects bad arguments with a 400, as graphite-web does with
# ENFORCE_INPUT_VALIDATION (its default only logs them and carries on).
settings.ENFORCE_INPUT_VALIDATION = True
evaluator.fetchData = fake_fetch
evaluator.prefetchData = lambda ctx, paths: None

SERIES = 'servers.*.cpu.*'
CASES = [
    # alias group
    'alias(servers.web1.cpu.user,"x")',
    'aliasSub(servers.*.cpu.*, "(^.*$)", "\\1 A")',
    'aliasSub(servers.*.cpu.*, "^servers\\.(\\w+)\\.cpu\\.(\\w+)$", "\\2@\\1")',
    'aliasByNode(servers.*.cpu.*, 1)',
    'aliasByNode(servers.*.cpu.*, 1, -1)',
    'aliasByNode(scale(servers.*.cpu.user, 2), 1)',
    'aliasByMetric(servers.*.cpu.*)',
    'aliasByMetric(scale(servers.web1.cpu.user, 2))',
    'aliasByTags(servers.web1.cpu.user, "name")',
    'servers.*.cpu.user|aliasByNode(1)',
    'servers.*.cpu.user|scale(2)|aliasByNode(1)',
    # combine
    'sumSeries(servers.*.cpu.*)',
    'sum(servers.web1.cpu.user, servers.web2.cpu.user)',
    'averageSeries(servers.*.cpu.user)',
    'avg(servers.*.cpu.user)',
    'maxSeries(servers.*.cpu.*)',
    'minSeries(servers.*.cpu.*)',
    'diffSeries(servers.web1.cpu.user, servers.web2.cpu.user)',
    'multiplySeries(servers.web1.cpu.user, servers.web2.cpu.system)',
    'multiplySeries(servers.web1.cpu.user)',
    'sumSeries(no.such.*)',
    'sumSeries(servers.web1.cpu.user, summarize(servers.web2.cpu.user, "1min"))',
    'divideSeries(servers.*.cpu.user, servers.web1.cpu.system)',
    'divideSeries(servers.*.cpu.user, no.such.x)',
    'divideSeries(servers.web1.cpu.user, servers.*.cpu.system)',
    'asPercent(servers.*.cpu.user)',
    'asPercent(servers.*.cpu.user, servers.web1.cpu.system)',
    'asPercent(servers.*.cpu.user, servers.*.cpu.system)',
    'asPercent(servers.*.cpu.user, 50)',
    'asPercent(servers.*.cpu.*, None, 1)',
    'aggregate(servers.*.cpu.*, "median")',
    'aggregate(servers.*.cpu.*, "stddev")',
    'aggregate(servers.*.cpu.*, "count")',
    'aggregate(servers.*.cpu.*, "range")',
    'aggregate(servers.*.cpu.*, "avg_zero")',
    'aggregate(servers.*.cpu.*, "last")',
    'aggregate(servers.*.cpu.*, "sum", 0.75)',
    'groupByNode(servers.*.cpu.*, 1)',
    'groupByNode(servers.*.cpu.*, 3, "sum")',
    'groupByNode(servers.*.cpu.*, 3, "maxSeries")',
    'groupByNodes(servers.*.cpu.*, "sum", 1, 3)',
    'groupByNodes(servers.*.cpu.*, "average")',
    'groupByTags(servers.*.cpu.*, "sum", "name")',
    'sumSeriesWithWildcards(servers.*.cpu.*, 1)',
    'averageSeriesWithWildcards(servers.*.cpu.*, 1, 3)',
    # transform
    'scale(servers.*.cpu.user, 2.5)',
    'scale(servers.web1.cpu.user, -1)',
    'scaleToSeconds(counters.req.count, 1)',
    'scaleToSeconds(servers.web2.cpu.user, 60)',
    'offset(servers.*.cpu.system, -3)',
    'absolute(servers.web2.cpu.system)',
    'perSecond(counters.req.count)',
    'perSecond(servers.web2.cpu.user)',
    'perSecond(counters.req.count, 1000)',
    'perSecond(counters.req.count, None, 0)',
    'derivative(servers.web1.cpu.user)',
    'nonNegativeDerivative(counters.req.count)',
    'nonNegativeDerivative(counters.req.count, 500)',
    'integral(servers.web2.cpu.user)',
    'cumulative(servers.web1.cpu.user)',
    'keepLastValue(gaps.a)',
    'keepLastValue(gaps.a, 3)',
    'keepLastValue(gaps.a, 8)',
    'transformNull(gaps.a)',
    'transformNull(gaps.a, -1.5)',
    'transformNull(gaps.a, 7, servers.web2.cpu.user)',
    'consolidateBy(servers.web1.cpu.user, "max")',
    'summarize(servers.web1.cpu.user, "1min")',
    'summarize(servers.web1.cpu.user, "1min", "avg")',
    'summarize(servers.web2.cpu.user, "90s", "max", true)',
    'summarize(gaps.a, "2min", "count")',
    'summarize(gaps.a, "5min", "last")',
    'summarize(servers.web2.cpu.system, "1min", "median")',
    'hitcount(servers.web1.cpu.system, "1min")',
    'hitcount(servers.web2.cpu.user, "45s")',
    'hitcount(servers.web2.cpu.user, "1min", true)',
    'movingAverage(servers.web1.cpu.user, 5)',
    'movingAverage(servers.web2.cpu.user, "1min")',
    'movingAverage(gaps.a, 4, 0.5)',
    'movingWindow(servers.web1.cpu.system, 3, "max")',
    'movingWindow(servers.web2.cpu.user, "30s", "sum")',
    'timeShift(servers.web1.cpu.user, "1min")',
    'timeShift(servers.web1.cpu.user, "-2min", false)',
    'timeShift(servers.*.cpu.user, "+30s")',
    # filter and sort
    'highestCurrent(servers.*.cpu.*, 2)',
    'highestAverage(servers.*.cpu.*, 2)',
    'highestMax(servers.*.cpu.*, 1)',
    'lowestCurrent(servers.*.cpu.*, 2)',
    'lowestAverage(servers.*.cpu.*, 3)',
    'highest(servers.*.cpu.*, 2, "sum")',
    'lowest(servers.*.cpu.*, 2, "stddev")',
    'sortByMaxima(servers.*.cpu.*)',
    'sortByName(aliasByNode(servers.*.cpu.*, 3))',
    'sortByName(servers.*.cpu.*, false, true)',
    'sortByName(aliasSub(servers.*.cpu.*, "web1", "web10"), true)',
    'sortBy(servers.*.cpu.*, "max", true)',
    'sortBy(servers.*.cpu.*)',
    'limit(servers.*.cpu.*, 3)',
    'exclude(servers.*.cpu.*, "web1")',
    'grep(servers.*.cpu.*, "user$")',
    'removeBelowValue(servers.web1.cpu.user, 10)',
    'removeAboveValue(servers.web2.cpu.system, 0.5)',
    # special
    'constantLine(100)',
    'constantLine(1.5)',
    # path expressions through nested calls, nulls, pipes
    'sumSeries(perSecond(servers.*.cpu.user))',
    'sumSeries(aliasByNode(servers.*.cpu.user, 1))',
    'groupByNode(perSecond(servers.*.cpu.*), 1, "sum")',
    'aliasByNode(perSecond(servers.*.cpu.user), 1)',
    'aliasByNode(sumSeries(servers.*.cpu.user), 2)',
    'movingAverage(sumSeries(servers.*.cpu.user), 3)',
    'timeShift(aliasByNode(servers.web1.cpu.user, 1), "1min")',
    'servers.web1.cpu.*|sumSeries()|scale(0.1)',
    'sumSeries(gaps.a, gaps.b)',
    'diffSeries(gaps.*)',
    'averageSeries(gaps.a, no.such.x)',
    'divideSeries(gaps.b, gaps.b)',
    'asPercent(servers.*.cpu.*, servers.*.cpu.user, 1)',
    'asPercent(gaps.*)',
    'scale(no.such.x, 2)',
    'highestCurrent(no.such.x, 2)',
    'summarize(servers.web1.cpu.user, "1min", alignToFrom=true)',
    'groupByNode(servers.*.cpu.*, callback="sum", nodeNum=1)',
    # errors: graphite raises InputParameterError (a 400 in Hourglass)
    'noSuchFunction(servers.*.cpu.*)',
    'divideSeries(servers.*.cpu.user, servers.*.cpu.system)',
    'summarize(servers.web1.cpu.user)',
    'scale(servers.web1.cpu.user, "x")',
    'aggregate(servers.*.cpu.*, "bogus")',
    'highestCurrent(servers.*.cpu.*, 1.5)',
    'consolidateBy(servers.web1.cpu.user, "median")',
    'alias(servers.web1.cpu.user, "a", "b")',
    'alias(servers.web1.cpu.user, bogus="a")',
    'asPercent(servers.*.cpu.user, servers.*.cpu.*)',
    # batch A: more filter, sort and combine functions (issue 13)
    'removeEmptySeries(group(servers.web1.cpu.user, no.such.x, gaps.a))',
    'removeEmptySeries(gaps.*, 0.5)',
    'removeEmptySeries(gaps.a, 0.2)',
    'removeEmptySeries(timeShift(gaps.a, "-5min"), 0.2)',
    'countSeries(servers.*.cpu.*)',
    'countSeries(servers.*.cpu.user, gaps.a)',
    'countSeries()',
    'countSeries(no.such.x)',
    'percentileOfSeries(servers.*.cpu.*, 50)',
    'percentileOfSeries(servers.*.cpu.*, 75, true)',
    'percentileOfSeries(servers.*.cpu.*, 10, interpolate=true)',
    'percentileOfSeries(gaps.*, 99.5)',
    'percentileOfSeries(servers.*.cpu.*, 0)',
    'percentileOfSeries(no.such.x, 50)',
    'stddevSeries(servers.*.cpu.*)',
    'stddevSeries(gaps.a, gaps.b)',
    'rangeOfSeries(servers.*.cpu.*)',
    'averageAbove(servers.*.cpu.*, 4)',
    'averageBelow(servers.*.cpu.*, 4)',
    'currentAbove(servers.*.cpu.*, 1.5)',
    'currentBelow(servers.*.cpu.*, 1.5)',
    'maximumAbove(servers.*.cpu.*, 8)',
    'maximumBelow(servers.*.cpu.*, 8)',
    'minimumAbove(servers.*.cpu.*, 0)',
    'minimumBelow(servers.*.cpu.*, 0)',
    'currentBelow(gaps.a, 1)',
    'filterSeries(servers.*.cpu.*, "sum", ">=", 600)',
    'filterSeries(servers.*.cpu.*, "last", "!=", 2)',
    'filterSeries(gaps.a, "max", "<", 0)',
    'filterSeries(servers.*.cpu.*, "count", "=", 60)',
    'filterSeries(servers.*.cpu.*, "max", "~", 1)',
    'removeAbovePercentile(servers.*.cpu.*, 50)',
    'removeBelowPercentile(servers.*.cpu.*, 25)',
    'removeBelowPercentile(servers.web1.cpu.user, 90.5)',
    'removeBetweenPercentile(servers.*.cpu.system, 30)',
    'removeBetweenPercentile(group(servers.*.cpu.system, counters.req.count, gaps.b), 90)',
    'averageOutsidePercentile(servers.*.cpu.*, 30)',
    'averageOutsidePercentile(servers.*.cpu.*, 80)',
    'sortByMinima(servers.*.cpu.*)',
    'sortByMinima(group(gaps.b, counters.req.count, servers.web1.cpu.system))',
    'sortByTotal(servers.*.cpu.*)',
    'unique(servers.*.cpu.user, servers.web1.cpu.*)',
    'unique(aliasByNode(servers.*.cpu.*, 1))',
    'mostDeviant(servers.*.cpu.*, 2)',
    'mostDeviant(group(servers.*.cpu.*, no.such.x, gaps.a), -1)',
    'useSeriesAbove(servers.*.cpu.system, 6, "system", "user")',
    'useSeriesAbove(servers.*.cpu.system, 8, "system", "user")',
    'useSeriesAbove(servers.*.cpu.system, 100, "system", "user")',
    'useSeriesAbove(group(counters.req.count, gaps.b), 0.5, "^(\\w+)\\.\\w+\\.\\w+$", "\\1.a")',
    'fallbackSeries(no.such.x, servers.web1.cpu.user)',
    'fallbackSeries(servers.web2.cpu.*, servers.web1.cpu.user)',
    'group(servers.web1.cpu.user, gaps.*, no.such.x)',
    'group()',
    'isNonNull(gaps.a)',
    'isNonNull(servers.*.cpu.user)',
    'weightedAverage(servers.*.cpu.user, servers.*.cpu.system, 1)',
    'weightedAverage(servers.*.cpu.user, servers.*.cpu.system)',
    'weightedAverage(servers.*.cpu.user, servers.web1.cpu.system, 1)',
    'weightedAverage(servers.*.cpu.user, servers.*.cpu.system, 3)',
    'sumSeriesLists(servers.*.cpu.user, servers.*.cpu.system)',
    'sumSeriesLists(servers.*.cpu.user, servers.web1.cpu.system)',
    'diffSeriesLists(servers.*.cpu.user, servers.*.cpu.system)',
    'multiplySeriesLists(servers.*.cpu.system, servers.*.cpu.user)',
    'divideSeriesLists(servers.*.cpu.user, servers.*.cpu.system)',
    'divideSeriesLists(gaps.*, gaps.*)',
    'divideSeriesLists(servers.*.cpu.user, servers.*.cpu.*)',
    'aggregateSeriesLists(servers.*.cpu.user, servers.*.cpu.system, "max")',
    'aggregateSeriesLists(gaps.*, servers.web1.cpu.*, "avg_zero")',
    'aggregateSeriesLists(servers.*.cpu.user, servers.*.cpu.system, "sum", 1)',
    'aggregateSeriesLists(servers.*.cpu.user, summarize(servers.*.cpu.system, "1min"), "median")',
    'aggregateSeriesLists(no.such.x, no.such.y, "sum")',
    'aggregateSeriesLists(servers.*.cpu.user, no.such.y, "sum")',
    'aggregateSeriesLists(servers.*.cpu.user, servers.*.cpu.system, "bogus")',
    'aggregateWithWildcards(servers.*.cpu.*, "sum", 1)',
    'aggregateWithWildcards(servers.*.cpu.*, "max", 3)',
    'aggregateWithWildcards(servers.*.cpu.*, "median", 1, 3)',
    'aggregateWithWildcards(servers.*.cpu.*, "count")',
    'aggregateWithWildcards(servers.*.cpu.*, "multiply", 9)',
    'multiplySeriesWithWildcards(servers.*.cpu.*, 3)',
    'applyByNode(servers.*.cpu.*, 1, "sumSeries(%.cpu.*)")',
    'applyByNode(servers.*.cpu.*, 1, "divideSeries(%.cpu.user, %.cpu.system)", "%.ratio")',
    'applyByNode(servers.*.cpu.user, 2, "scale(%.user, 2)", "x")',
    'applyByNode(servers.*.cpu.user, 1, "no.such.x")',
    'applyByNode(servers.*.cpu.*, 1, "noSuchFunction(%.cpu.*)")',
    'reduceSeries(mapSeries(servers.*.cpu.*, 1), "asPercent", 3, "user", "system")',
    'reduceSeries(mapSeries(servers.*.cpu.*, 1), "diffSeries", 3, "system", "user")',
    'reduce(map(servers.*.cpu.*, 1), "sumSeries", 3, "user")',
    'reduceSeries(mapSeries(servers.*.cpu.*, 1, 3), "divideSeries", 3, "user", "system")',
    'reduceSeries(mapSeries(servers.*.cpu.*, 1), "divideSeries", -1, "user", "system")',
    'pct(servers.*.cpu.user)',
    'pct(servers.*.cpu.*, None, 1)',
    # batch B: transforms, moving windows, forecasts and the draw-only functions
    'movingMedian(servers.web1.cpu.user, 5)',
    'movingMedian(servers.web2.cpu.user, "1min")',
    'movingMedian(gaps.a, 4, 0.5)',
    'movingSum(servers.web1.cpu.system, 3)',
    'movingSum(servers.web2.cpu.user, "30s")',
    'movingMin(servers.web1.cpu.user, "1min")',
    'movingMin(gaps.a, 5)',
    'movingMax(servers.web2.cpu.system, 4)',
    'movingMax(gaps.a, "1min", 0.5)',
    'nPercentile(servers.*.cpu.*, 50)',
    'nPercentile(servers.web1.cpu.user, 95)',
    'nPercentile(gaps.a, 12.5)',
    'offsetToZero(servers.*.cpu.*)',
    'invert(servers.web2.cpu.system)',
    'pow(servers.web2.cpu.system, 2)',
    'pow(servers.web2.cpu.system, 0.5)',
    'squareRoot(servers.*.cpu.system)',
    'log(servers.web1.cpu.user)',
    'log(servers.web2.cpu.system, 2)',
    'round(servers.web1.cpu.user)',
    'round(servers.web1.cpu.user, 1)',
    'round(servers.web2.cpu.user, -1)',
    'minMax(servers.*.cpu.*)',
    'minMax(gaps.b)',
    'delay(servers.web1.cpu.user, 2)',
    'delay(servers.web1.cpu.user, -3)',
    'changed(servers.web1.cpu.system)',
    'changed(gaps.a)',
    'exp(servers.web2.cpu.system)',
    'logit(scale(servers.web2.cpu.system, 0.3))',
    'sigmoid(servers.web2.cpu.system)',
    'powSeries(servers.web2.cpu.system, servers.web1.cpu.system)',
    'powSeries(servers.web1.cpu.user, gaps.b)',
    'interpolate(gaps.a)',
    'interpolate(gaps.a, 5)',
    'interpolate(servers.web1.cpu.user)',
    'timeSlice(servers.web1.cpu.user, "10:53_20150101", "10:57_20150101")',
    'timeSlice(servers.web1.cpu.system, "1420109700", "1420109800")',
    'timeStack(servers.web1.cpu.user, "2min", 0, 3)',
    'timeStack(servers.web1.cpu.system, "-1min", 1, 3)',
    'timeStack(servers.*.cpu.user, "5min", 0, 2)',
    'stdev(servers.web1.cpu.user, 5)',
    'stdev(gaps.a, 4, 0.5)',
    'exponentialMovingAverage(servers.web1.cpu.system, 5)',
    'exponentialMovingAverage(servers.web2.cpu.user, "1min")',
    'linearRegression(counters.req.count)',
    'linearRegression(servers.web2.cpu.user, "1420109000", "1420109500")',
    'linearRegression(servers.*.cpu.system)',
    'aggregateLine(servers.web1.cpu.user)',
    'aggregateLine(servers.*.cpu.*, "max")',
    'aggregateLine(servers.web2.cpu.user, "sum", true)',
    'aggregateLine(no.such.x)',
    'holtWintersForecast(servers.web1.cpu.user, "5min", "2min")',
    'holtWintersForecast(servers.web2.cpu.user, "3h")',
    'holtWintersForecast(gaps.a, "10min", "1min")',
    'holtWintersConfidenceBands(servers.web1.cpu.user, 3, "5min", "2min")',
    'holtWintersConfidenceBands(servers.web2.cpu.system, 2, "10min", "1min")',
    'holtWintersConfidenceArea(servers.web1.cpu.user, 3, "5min", "2min")',
    'holtWintersAberration(servers.web1.cpu.user, 1, "5min", "2min")',
    'holtWintersAberration(servers.web2.cpu.user, 2, "10min")',
    'smartSummarize(servers.web1.cpu.user, "1min")',
    'smartSummarize(servers.web2.cpu.user, "90s", "max")',
    'smartSummarize(servers.web1.cpu.system, "1min", "avg", "minutes")',
    'smartSummarize(servers.web1.cpu.system, "2min", "sum", "hours")',
    'smartSummarize(gaps.a, "1min", "last", true)',
    'substr(servers.web1.cpu.user, 1)',
    'substr(servers.*.cpu.user, 1, 3)',
    'substr(scale(servers.web1.cpu.user, 2), 2)',
    'substr(servers.web1.cpu.user, -2)',
    'identity("the.time")',
    'time("the.time")',
    'timeFunction("t", 120)',
    'setXFilesFactor(gaps.a, 0.5)',
    'xFilesFactor(gaps.a, 0.3)',
    'summarize(xFilesFactor(gaps.a, 0.3), "1min", "sum")',
    'threshold(42)',
    'threshold(1.5, "limit", "red")',
    'aliasQuery(servers.web1.cpu.user, "user", "system", "sys %d")',
    'aliasQuery(servers.*.cpu.user, "cpu\\.user", "cpu.system", "now %.1f")',
    'legendValue(servers.web1.cpu.user, "avg")',
    'legendValue(servers.*.cpu.system, "last", "max")',
    'legendValue(servers.web1.cpu.user, "total", "si")',
    'legendValue(servers.web1.cpu.user, "bogus")',
    'alpha(servers.web1.cpu.user, 0.5)',
    'color(servers.*.cpu.user, "red")',
    'lineWidth(servers.web1.cpu.user, 3)',
    'dashed(servers.web1.cpu.user)',
    'dashed(servers.web1.cpu.user, 2)',
    'drawAsInfinite(servers.web1.cpu.system)',
    'secondYAxis(servers.*.cpu.user)',
    'stacked(servers.*.cpu.system)',
    'stacked(servers.*.cpu.user, "mine")',
    'areaBetween(servers.*.cpu.user)',
    'cactiStyle(servers.*.cpu.*)',
    'cactiStyle(servers.*.cpu.user, "si")',
    'cactiStyle(counters.req.count, "binary", "B")',
    'cactiStyle(gaps.a, None, "req")',
    'sumSeries(movingSum(servers.*.cpu.user, 2))',
    'legendValue(servers.web2.cpu.user, "count", "median", "multiply", "binary")',
    'legendValue(removeAboveValue(gaps.a, -1), "avg", "last")',
    'cactiStyle(removeAboveValue(gaps.a, -1))',
    'cactiStyle(scale(counters.req.count, 1000), "si")',
    'exponentialMovingAverage(gaps.a, 3)',
    'delay(servers.web1.cpu.user, 0)',
    'linearRegression(gaps.a, "1420109910", "1420109920")',
    'aggregateLine(servers.web1.cpu.user, "count")',
    'round(servers.web2.cpu.user, 0)',
    'substr(servers.web1.cpu.user, 0, -1)',
    'movingSum(gaps.a, 5, 0.3)',
    'threshold(7, label="seven")',
    'sumSeries(xFilesFactor(gaps.*, 0.6))',
    'timeStack(servers.web1.cpu.user, "30min")',
    'stdev(servers.web2.cpu.system, 3, 0)',
    'nPercentile(servers.web2.cpu.user, 100)',
    'changed(delay(gaps.b, 1))',
    'add(servers.web2.cpu.system, 2.5)',
    'add(gaps.a, -1)',
    'integralByInterval(servers.web1.cpu.system, "1min")',
    'integralByInterval(gaps.a, "2min")',
    'sin("wave")',
    'sinFunction("wave", 3, 120)',
    'verticalLine("1420109700", "deploy")',
    'verticalLine("10:55_20150101", "deploy", "red")',
    'scale(randomWalk("walk"), 0)',
    'scale(randomWalkFunction("walk", 30), 0)',
    # batch B errors
    'areaBetween(servers.*.cpu.*)',
    'nPercentile(servers.web1.cpu.user, 0)',
    'aliasQuery(servers.web1.cpu.user, "user", "nothing", "x %d")',
    'smartSummarize(servers.web1.cpu.user, "1min", "sum", "fortnights")',
    'cactiStyle(servers.web1.cpu.user, "metric")',
    'holtWintersConfidenceArea(servers.*.cpu.user, 3, "5min", "2min")',
    'round(servers.web1.cpu.user, 1.5)',
    'verticalLine("1420100000", "early")',
    'verticalLine("1420110100", "late")',
    # batch C: seriesByTag through graphite-web's own tag database
    "seriesByTag('name=disk.used')",
    "seriesByTag('dc=eu', 'host!=b')",
    "seriesByTag('name=~disk', 'dc!=~e')",
    'seriesByTag("name=disk.used", "dc=~(eu|us)")',
    "seriesByTag('name=~used$')",
    "seriesByTag('name=disk.used', 'rack=')",
    "seriesByTag('name=nothing')",
    "sumSeries(seriesByTag('name=disk.used'))",
    "aliasByTags(seriesByTag('name=disk.used'), 'host', 'dc')",
    "groupByTags(seriesByTag('name=~disk'), 'sum', 'dc')",
    "seriesByTag('name=disk.used')|aliasByNode(1)",
    "seriesByTag('dc!=eu')",
]


def dt(t):
    return datetime.fromtimestamp(t, timezone.utc)


def context(start, end):
    return {'startTime': dt(start), 'endTime': dt(end), 'now': dt(NOW), 'localOnly': True,
            'tzinfo': pytz.utc,
            'data': [], 'prefetched': {}, 'xFilesFactor': 0, 'template': {}}


def run(target, start, end):
    """graphite-web's series for a case (or its error), and its format=raw body."""
    from graphite.render import views
    try:
        result = evaluator.evaluateTarget(context(start, end), target)
    except (InputParameterError, ValueError, AssertionError) as e:
        return {'error': str(e)}, None
    return series_json(result), views.renderViewRaw({}, result).content.decode()


def series_json(result):
    out = []
    for s in result:
        tags = {k: (v if isinstance(v, str) else str(v)) for k, v in s.tags.items()}
        out.append({'name': s.name, 'start': s.start, 'end': s.end, 'step': s.step,
                    'values': [None if v is None or (isinstance(v, float) and
                                                     (math.isnan(v) or math.isinf(v))) else v
                               for v in list(s)],
                    'tags': tags})
    return out


FUNCTIONS = sorted(set(re.findall(r'([A-Za-z]+)\(', ' '.join(CASES))) - {'noSuchFunction'})


def function_params():
    from graphite.functions import SeriesFunctions
    funcs = SeriesFunctions()
    out = {}
    for name in FUNCTIONS + ['seriesByTag']:
        f = funcs[name]
        params = []
        for p in f.params:
            j = p.toJSON()
            j.pop('suggestions', None)
            if j['type'] == 'aggOrSeriesFunc':
                j.pop('options', None)  # lists every aggregating function graphite has
            if j.get('default') == float('inf'):
                j['default'] = 'inf'
            params.append(j)
        out[name] = {'group': f.group, 'params': params}
    return out


def write(name, obj):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write('\n')


# (targets, request parameters): a whole /render answer each. The json cases
# are compared value by value (json.dumps spaces differ), csv and raw byte by
# byte.
FORMAT_CASES = [
    (['servers.web1.cpu.user'], {'format': 'csv'}),
    (['servers.*.cpu.*'], {'format': 'csv'}),
    (['servers.web2.cpu.user', 'gaps.a'], {'format': 'raw'}),
    (['servers.*.cpu.*'], {'format': 'raw'}),
    (['scale(servers.web2.cpu.system, 0.1)', 'scale(servers.web2.cpu.user, -0.001)'],
     {'format': 'csv'}),
    (['scale(servers.web2.cpu.system, 0.1)', 'scale(servers.web2.cpu.user, -0.001)'],
     {'format': 'raw'}),
    (['scale(counters.req.count, 1e14)', 'scale(counters.req.count, 1e-7)'], {'format': 'raw'}),
    (['scale(counters.req.count, 1e14)', 'scale(counters.req.count, 1e-7)'], {'format': 'csv'}),
    (['scale(servers.web2.cpu.system, 1e308)'], {'format': 'raw'}),
    (['scale(servers.web2.cpu.system, 1e308)'], {'format': 'csv'}),
    (['alias(servers.web1.cpu.system, "a,b \\"c\\" d")'], {'format': 'csv'}),
    (['alias(servers.web1.cpu.system, "a,b \\"c\\" d")'], {'format': 'raw'}),
    (['no.such.x'], {'format': 'csv'}),
    (['no.such.x'], {'format': 'raw'}),
    (['sumSeries(servers.web1.cpu.user, summarize(servers.web2.cpu.user, "1min"))'],
     {'format': 'raw'}),
    (['group(servers.web1.cpu.user, summarize(servers.web2.cpu.user, "1min"))'],
     {'format': 'csv'}),
    (['servers.web1.cpu.user'], {'format': 'json', 'maxDataPoints': '10'}),
    (['servers.web1.cpu.user'], {'format': 'json', 'maxDataPoints': '7'}),
    (['servers.web1.cpu.user'], {'format': 'json', 'maxDataPoints': '1'}),
    (['servers.web1.cpu.user'], {'format': 'json', 'maxDataPoints': '60'}),
    (['servers.web1.cpu.user'], {'format': 'json', 'maxDataPoints': '59'}),
    (['consolidateBy(servers.web2.cpu.user, "max")'], {'format': 'json', 'maxDataPoints': '7'}),
    (['consolidateBy(servers.web2.cpu.user, "min")'], {'format': 'json', 'maxDataPoints': '11'}),
    (['consolidateBy(servers.web2.cpu.user, "sum")'], {'format': 'json', 'maxDataPoints': '4'}),
    (['consolidateBy(servers.web2.cpu.user, "first")'], {'format': 'json', 'maxDataPoints': '9'}),
    (['consolidateBy(servers.web2.cpu.user, "last")'], {'format': 'json', 'maxDataPoints': '9'}),
    (['consolidateBy(gaps.a, "avg_zero")'], {'format': 'json', 'maxDataPoints': '12'}),
    (['consolidateBy(gaps.a, "average")'], {'format': 'json', 'maxDataPoints': '12'}),
    (['gaps.a'], {'format': 'json', 'maxDataPoints': '6', 'xFilesFactor': '0.5'}),
    (['gaps.a'], {'format': 'json', 'maxDataPoints': '30', 'xFilesFactor': '0.5'}),
    (['servers.web1.cpu.user', 'summarize(servers.web2.cpu.user, "1min")'],
     {'format': 'json', 'maxDataPoints': '5'}),
    (['servers.web1.cpu.user', 'timeShift(servers.web2.cpu.user, "3min")'],
     {'format': 'json', 'maxDataPoints': '8'}),
    (['gaps.a', 'removeAboveValue(gaps.b, -1)'], {'format': 'json', 'noNullPoints': '1'}),
    (['gaps.a', 'removeAboveValue(gaps.b, -1)'], {'format': 'json'}),
    (['gaps.a', 'servers.web2.cpu.user'],
     {'format': 'json', 'noNullPoints': '1', 'maxDataPoints': '13'}),
    (['servers.web1.cpu.system'], {'format': 'json', 'jsonp': 'cb'}),
    (['scale(servers.web2.cpu.system, 1e308)'], {'format': 'json'}),
    (['scale(servers.web2.cpu.system, 1e308)'], {'format': 'json', 'noNullPoints': '1'}),
    (['constantLine(1.5)', 'threshold(-3)'], {'format': 'csv'}),
    (['constantLine(1.5)', 'threshold(-3)'], {'format': 'raw'}),
    (['timeShift(servers.web1.cpu.user, "-90s")', 'summarize(gaps.a, "7min", "max")'],
     {'format': 'raw'}),
    (['timeShift(servers.web1.cpu.user, "-90s")', 'summarize(gaps.a, "7min", "max")'],
     {'format': 'csv'}),
    (['alias(gaps.b, "caf\u00e9 \u2603")', 'aliasByNode(servers.*.cpu.user, 1)'], {'format': 'csv'}),
    (['alias(gaps.b, "caf\u00e9 \u2603")'], {'format': 'raw'}),
    (['divideSeries(servers.web2.cpu.user, servers.web1.cpu.system)'], {'format': 'raw'}),
    (['perSecond(counters.req.count)', 'movingAverage(servers.web2.cpu.user, 4)'],
     {'format': 'csv'}),
    (['gaps.a'], {'format': 'json', 'noNullPoints': '1', 'maxDataPoints': '1', 'jsonp': 'f'}),
    (['removeAboveValue(gaps.b, -1)'], {'format': 'json', 'noNullPoints': '1', 'jsonp': 'f'}),
]


def render_body(targets, params, start, end):
    from graphite.render import views
    ctx = {'startTime': dt(start), 'endTime': dt(end), 'now': dt(NOW), 'localOnly': True,
           'tzinfo': pytz.utc, 'data': [], 'prefetched': {}, 'template': {},
           'xFilesFactor': float(params.get('xFilesFactor', 0)), 'targets': targets}
    options = {'tzinfo': pytz.utc}
    if params.get('maxDataPoints', '').isdigit():
        options['maxDataPoints'] = ctx['maxDataPoints'] = int(params['maxDataPoints'])
    for key in ('noNullPoints', 'jsonp'):
        if key in params:
            options[key] = params[key] if key == 'jsonp' else True
    data = evaluator.evaluateTarget(ctx, targets)
    render = {'csv': views.renderViewCsv, 'raw': views.renderViewRaw,
              'json': views.renderViewJson}[params['format']]
    response = render(options, data)
    return {'content_type': response['Content-Type'], 'body': response.content.decode()}


def main():
    random.seed(13)  # randomWalk's values (scaled by 0: only their sign shows)
    start, end = NOW - 600, NOW
    formats = [{'targets': t, 'params': p, 'from': start, 'until': end,
                **render_body(t, p, start, end)} for t, p in FORMAT_CASES]
    cases = []
    for t in CASES:
        result, raw = run(t, start, end)
        cases.append({'target': t, 'from': start, 'until': end, 'result': result})
        if raw is not None:
            cases[-1]['raw'] = raw
    data = {name: {'first': FIRST_TS, 'step': STEP, 'values': v} for name, v in DATA.items()}
    generator = 'graphite-web 1.1.8 (Debian 12) via make_golden.py'
    write('functions.json', {'generator': generator, 'data': data, 'cases': cases})
    write('function_params.json', {'generator': generator, 'functions': function_params()})
    write('formats.json', {'generator': generator, 'cases': formats})


if __name__ == '__main__':
    main()
