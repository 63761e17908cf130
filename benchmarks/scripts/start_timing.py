import subprocess, sys, time, json, os, hashlib, resource
# usage: start_timing.py LABEL DLL OUT [REGION]: runs `dotnet DLL run REGION --out OUT --force`, prints one JSON line: wall, CPU
# (user+sys of the child), seconds from launch to the first progress line of registration / statistics / histogram, run.json timings_s
label, dll, out = sys.argv[1:4]
region=sys.argv[4] if len(sys.argv) > 4 else "/tmp/cdx-e2e-bench/sample_8192_2024/region.json"
load=os.getloadavg()[0]
r0=resource.getrusage(resource.RUSAGE_CHILDREN)
t0=time.monotonic()
p=subprocess.Popen(["dotnet", dll, "run", region, "--out", out, "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
marks={}
for line in p.stderr:
    st=line.split(":")[0]
    if st not in marks: marks[st]=time.monotonic()-t0
p.wait()
wall=time.monotonic()-t0
r1=resource.getrusage(resource.RUSAGE_CHILDREN)
cpu=(r1.ru_utime-r0.ru_utime)+(r1.ru_stime-r0.ru_stime)
d=json.load(open(os.path.join(out,"run.json")))
t=d["timings_s"]
print(json.dumps({"label":label,"rc":p.returncode,"load1":round(load,2),"wall":round(wall,2),"cpu":round(cpu,2),
  "to_registration":round(marks.get("registration",-1),2),"to_stats_done":round(marks.get("statistics",-1),2),"to_hist1":round(marks.get("histogram",-1),2),
  "timings":t}), flush=True)
