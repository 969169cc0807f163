"""What the supervisor dashboard shows: one row per call (folded from its state) and today's numbers (folded
from the log). Pure functions; the API reads the states and events and hands them in."""

from callpilot.dashboard.board import BoardRow, board_row
from callpilot.dashboard.today import TODAY_TYPES, TodayNumbers, today_numbers

__all__ = ["TODAY_TYPES", "BoardRow", "TodayNumbers", "board_row", "today_numbers"]
