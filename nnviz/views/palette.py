"""Colors every figure shares: Okabe–Ito, readable by color-blind viewers (no red against green)."""

# one color per run (or per optimizer), the same in every chart
RUN_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
# the classes: blue for label 0, orange for label 1, then green, pink, vermillion, sky blue (K ≤ 6)
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
# diverging scale for predicted probability: blue (0) through white (0.5) to orange (1)
PROBA_SCALE = ((0.0, "#0072B2"), (0.5, "#F7F7F7"), (1.0, "#E69F00"))
