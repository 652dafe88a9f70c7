"""The grouping engine: partition people into groups within size bounds, maximising the sum
of pairwise scores inside groups, with must-link and cannot-link pairs. No Django here."""

from .problem import GroupingError, Problem, choose_group_count, equal_bounds
from .search import Cancelled, Result, solve, warm_up

__all__ = [
    "Cancelled",
    "GroupingError",
    "Problem",
    "Result",
    "choose_group_count",
    "equal_bounds",
    "solve",
    "warm_up",
]
