"""What the gateway texts back to the public, each reply a `[replies]` key of the config
(gateway/core/config.py reads it) so a force can word them its own way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RepliesConfig:
    """What the gateway texts back. {list}, {keyword}, {lists}, {start}, {end} are filled in."""

    join: str = (
        "You have joined {list}. Reply STOP {keyword} to leave that list, STOP to leave all."
    )
    stop: str = "You will get no more alerts. Reply START to come back."
    stop_list: str = "You have left {list}. Reply JOIN {keyword} to rejoin."
    start: str = "Welcome back: alerts will reach you again."
    help: str = (
        "Rural crime alerts. JOIN <list> to join, STOP to leave, LISTS for lists, "
        "QUIET 22-07 for quiet hours. In an emergency call 999."
    )
    lists: str = "Lists you can join: {lists}. Text JOIN and a list's word."
    no_lists: str = "There are no lists to join yet."
    unknown_list: str = "There is no list called {keyword}. Text LISTS to see them."
    quiet: str = "Quiet hours set: {start}:00-{end}:00. Urgent alerts still come through."
    quiet_off: str = "Quiet hours off."
    quiet_help: str = "To set quiet hours text QUIET and two hours, for example QUIET 22-07."
    sighting: str = "Thanks, logged as {ref}. In an emergency call 999."
    stop_email: str = "You will get no more alert emails. Texts are unchanged."
    start_email: str = "Alert emails will reach you again."
    stop_emails_go_on: str = "Alert emails still come: text STOP EMAIL to end them too."
