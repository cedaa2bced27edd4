import json, sys
rows = [json.loads(l) for l in sys.stdin]
print(sum(r["n"] for r in rows))
