"""Change one parameter of duloxetine and see what it does to a 12-week virtual trial."""
import sys

import matplotlib.pyplot as plt

import painsim

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200  # patients per arm (more: smoother curves)
dlx = painsim.load_drug("duloxetine")
ec50 = painsim.occupancy_params(dlx, "net").ec50[0]  # duloxetine's NET EC50 in the model, ng/mL
tight = dlx.with_value("duloxetine.occupancy.net.ec50", ec50 / 2)  # the one change: binds NET 2x as tightly
for label, drug in {"as in the library": dlx, "NET EC50 halved": tight}.items():
    t = painsim.run_trial(drug, 60, weeks=12, n_per_arm=n, seed=1)  # same seed: the same patients
    plt.plot(range(1, 13), t.responders_drug, marker="o", label=f"duloxetine 60 mg/day, {label}")
    print(f"{label}: {t.p_drug:.0%} responders on duloxetine, {t.p_placebo:.0%} on placebo")
plt.plot(range(1, 13), t.responders_placebo, "k--", label="placebo")
plt.xlabel("week")
plt.ylabel("fraction of patients with ≥ 50 % less pain")
plt.legend()
plt.savefig("responders.png", dpi=150)
