# Enumerates CVSS vectors for oracle.js (see ../README.md).
#   python3 gen.py v4base            every v4.0 Base vector (104,976)
#   python3 gen.py v4rand N          N random v4.0 vectors, seed 4
#   python3 gen.py v4macro K         up to K random vectors per MacroVector
#   python3 gen.py v30base|v31base   every v3.x Base vector (2,592)
#   python3 gen.py v30rand|v31rand N N random v3.x vectors, seeds 30 and 31
import itertools, random, sys
V4 = [("AV","NALP"),("AC","LH"),("AT","NP"),("PR","NLH"),("UI","NPA"),("VC","HLN"),("VI","HLN"),("VA","HLN"),("SC","HLN"),("SI","HLN"),("SA","HLN")]
V4OPT = [("E",["X","A","P","U"]),("CR",list("XHML")),("IR",list("XHML")),("AR",list("XHML")),("MAV",list("XNALP")),("MAC",list("XLH")),("MAT",list("XNP")),("MPR",list("XNLH")),("MUI",list("XNPA")),("MVC",list("XHLN")),("MVI",list("XHLN")),("MVA",list("XHLN")),("MSC",list("XHLN")),("MSI",list("XSHLN")),("MSA",list("XSHLN")),("S",list("XNP")),("AU",list("XNY")),("R",list("XAUI")),("V",list("XDC")),("RE",list("XLMH")),("U",["X","Clear","Green","Amber","Red"])]
V3 = [("AV","NALP"),("AC","LH"),("PR","NLH"),("UI","NR"),("S","UC"),("C","HLN"),("I","HLN"),("A","HLN")]
V3OPT = [("E","XHFPU"),("RL","XUWTO"),("RC","XCRU"),("CR","XHML"),("IR","XHML"),("AR","XHML"),("MAV","XNALP"),("MAC","XLH"),("MPR","XNLH"),("MUI","XNR"),("MS","XUC"),("MC","XNLH"),("MI","XNLH"),("MA","XNLH")]
def base_all(defs, prefix):
    for combo in itertools.product(*[v for _,v in defs]):
        yield prefix + "/".join(f"{n}:{x}" for (n,_),x in zip(defs,combo))
def rand(defs, opt, prefix, n, seed, p):
    r = random.Random(seed)
    for _ in range(n):
        parts=[f"{k}:{r.choice(v)}" for k,v in defs]
        for k,v in opt:
            if r.random() < p: parts.append(f"{k}:{r.choice(list(v))}")
        yield prefix + "/".join(parts)
def macro(vec):
    # EQ1..EQ6 of the v4.0 specification, Tables 24-29, to spread samples
    # over MacroVectors; the oracle computes the MacroVector itself.
    d=dict(p.split(":") for p in vec.split("/")[1:])
    def m(k):
        if k=="E": return "A" if d.get("E","X")=="X" else d["E"]
        if k in ("CR","IR","AR"): return "H" if d.get(k,"X")=="X" else d[k]
        mv=d.get("M"+k,"X")
        return mv if mv!="X" else d.get(k,"X")
    av,pr,ui=m("AV"),m("PR"),m("UI")
    if av==pr==ui=="N": e1=0
    elif "N" in (av,pr,ui) and av!="P": e1=1
    else: e1=2
    e2=0 if m("AC")=="L" and m("AT")=="N" else 1
    vc,vi,va=m("VC"),m("VI"),m("VA")
    e3=0 if vc==vi=="H" else 1 if "H" in (vc,vi,va) else 2
    e4=0 if "S" in (d.get("MSI","X"),d.get("MSA","X")) else 1 if "H" in (m("SC"),m("SI"),m("SA")) else 2
    e5={"A":0,"P":1,"U":2}[m("E")]
    e6=0 if (m("CR")=="H" and vc=="H") or (m("IR")=="H" and vi=="H") or (m("AR")=="H" and va=="H") else 1
    return (e1,e2,e3,e4,e5,e6)
def per_macro(k):
    # Up to k random vectors in each MacroVector, drawn with several
    # densities of optional metrics; stops after a fixed number of draws.
    seen={}
    for s in range(10):
        for x in rand(V4,V4OPT,"CVSS:4.0/",200000,400+s,0.1*s):
            mv=macro(x)
            if seen.get(mv,0)<k:
                seen[mv]=seen.get(mv,0)+1
                yield x
what=sys.argv[1]
if what=="v4base": g=base_all(V4,"CVSS:4.0/")
elif what=="v4rand": g=rand(V4,V4OPT,"CVSS:4.0/",int(sys.argv[2]),4,0.35)
elif what=="v4macro": g=per_macro(int(sys.argv[2]))
elif what=="v30base": g=base_all(V3,"CVSS:3.0/")
elif what=="v31base": g=base_all(V3,"CVSS:3.1/")
elif what=="v30rand": g=rand(V3,V3OPT,"CVSS:3.0/",int(sys.argv[2]),30,0.4)
elif what=="v31rand": g=rand(V3,V3OPT,"CVSS:3.1/",int(sys.argv[2]),31,0.4)
for x in g: print(x)
