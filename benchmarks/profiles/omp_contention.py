import time, numpy as np, faiss
from govsearch.embedders import create_embedder
e=create_embedder()
def t(label, f, n=10):
    ts=[]
    for _ in range(n):
        a=time.perf_counter(); f(); ts.append(time.perf_counter()-a)
    print(label, "p50 %.1f ms max %.1f" % (np.median(ts)*1000, max(ts)*1000), flush=True)
t("query alone", lambda: e.embed_query("哪些镇处理了飞线充电问题"))
x=np.random.default_rng(0).standard_normal((20000,384)).astype(np.float32)
idx=faiss.IndexFlatIP(384); idx.add(x)
t("faiss", lambda: idx.search(x[:1],10))
t("query after faiss", lambda: (idx.search(x[:1],10), e.embed_query("哪些镇处理了飞线充电问题")))
