"""Which inspection programme a publication belongs to, and what kind of publication it is.

Two vocabularies (the values filters, the CLI, the API and the app use) and two rule tables. A
rule looks in a scope: `title` (the title and the first heading lines), `head` (the first 3,000
characters) or `text`; rules are tried in order and the first that matches wins, so specific rows
come before general ones. Each row names the publications it serves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PROGRAMMES = ("PEEL legitimacy", "PEEL effectiveness", "PEEL efficiency", "PEEL leadership", "PEEL integrated",
              "integrity and corruption", "police relationships", "vetting and counter-corruption",
              "abuse of position", "stop and search", "crime data integrity", "custody", "state of policing",
              "other thematic")
PUBLICATION_KINDS = ("force inspection", "national inspection", "revisit or progress", "response", "news release",
         "letter or terms", "other")


@dataclass(frozen=True)
class Rule:
    value: str
    scope: str  # title | head | text; force-head: the head of a publication about a force;
    # action-plan: the text of one whose headings list recommendations; listing: a page of dated entries
    pattern: str
    serves: str
    hits: int = 1  # distinct matches needed (a class of words, not one phrase)

    @property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern, re.I | re.M)


PROGRAMME_RULES = [
    # the title says what the publication is about: most specific first
    Rule("state of policing", "title", r"\bstate of policing\b", "State of Policing reports and responses to them"),
    Rule("crime data integrity", "title", r"crime[- ]data integrity|crime[- ]recording",
         "crime data integrity inspections (2014–) and crime recording reports, PCC pages about them"),
    Rule("vetting and counter-corruption", "title",
         r"vetting[^.\n]{0,60}counter[- ]corruption|integrity arrangements|police integrity inspection|"
         r"counter[- ]corruption arrangements", "vetting, misconduct and counter-corruption inspections (2022–)"),
    Rule("abuse of position", "title", r"abuse (?:of )?position", "abuse of position for a sexual purpose reports"),
    Rule("integrity and corruption", "title", r"integrity and (?:anti-)?corruption|police integrity",
         "Police integrity and corruption (2014–15), terms of reference"),
    Rule("police relationships", "title", r"police relationships", "Without fear or favour (2011) and its revisits"),
    Rule("stop and search", "title", r"stop and search", "Stop and search powers (2013, 2015) and revisits"),
    Rule("custody", "title", r"\bcustody\b", "joint custody inspections with HMI Prisons, custody thematics"),
    # PEEL inspects forces: these rows serve only publications about a force (national reports about
    # PEEL, such as its evaluation, are thematic)
    Rule("PEEL integrated", "force-head",
         r"PEEL[^.\n]{0,80}(?:2018\s*/\s*19|20(?:19|2\d)\s*[/–-]\s*\d{2})|(?:2018\s*/\s*19|20(?:19|2\d)\s*[/–-]\s*\d{2})"
         r"[^.\n]{0,20}(?:PEEL|police effectiveness)|ten areas of policing|fifth PEEL|PEEL Assessment Framework",
         "integrated PEEL since 2018/19: one report per force, graded in areas of policing; letters about it"),
    Rule("PEEL", "force-head", r"\bPEEL\b", "PEEL pages and reports 2014–2017 (one pillar each)"),
    Rule("integrity and corruption", "head", r"workforce acts\s+with integrity|anti-corruption capability",
         "integrity and corruption force reports (2014) with no title page"),
    Rule("vetting and counter-corruption", "head", r"integrity arrangements|vetting, professional standards and "
         r"counter-corruption", "responses to integrity inspections (2023–)"),
    Rule("police relationships", "head", r"police relationships", "revisits of police relationships"),
    Rule("crime data integrity", "head", r"crime data integrity", "pages about CDI inspections"),
]

# On a PEEL page the pillar is the one whose question or heading sits nearest the page's date line.
PILLAR_CUES = [
    Rule("PEEL effectiveness", "text", r"how effective is the force|^effectiveness$|how well the force tackles crime|"
         r"\bits effectiveness\b|PEEL:? (?:police )?effectiveness\b", "PEEL 2014–2017 effectiveness pages and titles"),
    Rule("PEEL efficiency", "text", r"how efficient is the force|^efficiency$|PEEL:? (?:police )?efficiency\b",
         "PEEL 2014–2017 efficiency pages, 'PEEL: Police Efficiency 2016' and responses to it"),
    Rule("PEEL legitimacy", "text", r"how legitimate(?:ly)? (?:is|does) the force|^legitimacy$|"
         r"act with integrity and provide a service|PEEL:? (?:police )?legitimacy\b", "PEEL 2014–2019 legitimacy"),
    Rule("PEEL leadership", "text", r"^leadership$|how well led|state of its leadership|PEEL:? (?:police )?leadership\b",
         "PEEL 2015–2016 leadership"),
    Rule("other thematic", "text", r"^other inspections$", "PEEL 2015 'other inspections' pages (their heading)"),
]

KIND_RULES = [
    Rule("response", "title", r"\bresponse (?:on|to) (?:the )?(?:HMIC|HMICFRS|inspection|report|recommendations)|"
         r"government response|commissioner[’']s (?:response|comments)|statement from|section 55 response|"
         r"(?:PCC|chief constable)[’']s response|police (?:and|&) crime commissioner comments",
         "responses named as such (PCC statements, Home Office responses)"),
    Rule("response", "text", r"in response to the report,? [^.\n]{0,80}(?:commissioner|chief constable)|"
         r"in response to the publication of", "PCC news items and statements responding to a report"),
    Rule("response", "head", r"^(?:PCC|commissioner|police and crime commissioner)[’']s (?:response|comments)$|"
         r"^response to recommendations$", "PCC pages with a response section"),
    Rule("response", "action-plan", r"\b(?:is being progressed|has been (?:adopted|publicised)|business as usual|"
         r"the (?:force|constabulary) has adopted|action taken:|progress update:|current status:|"
         r"^(?:complete|completed|ongoing|in progress|open|closed)\.?$)", "forces' action plans answering "
         "recommendation by recommendation (tracker status words; two different ones needed)", hits=2),
    # a link to the report is no sign: report pages and PEEL pages link to reports too
    Rule("news release", "furniture", r"^original article link", "aggregators re-publishing news items "
         "('Original article link: …', dropped as furniture)"),
    Rule("news release", "text", r"^#\d{1,3}/\d{4}\b|^[ \t]*date:?\s+\d{4}-\d{2}-\d{2}|\bpublished today\b|"
         r"\bthe police inspectorate (?:has )?(?:said|found)|\bby the police inspectorate\b|"
         r"\b(?:says|said) (?:the )?(?:police )?inspectorate\b|^notes to editors$",
         "HMIC/HMICFRS news releases and their re-publication by aggregators"),
    Rule("other", "listing", r".", "pages listing several dated publications (PCC and programme pages)"),
    Rule("revisit or progress", "title", r"revisit|progress|closure of (?:the |a )?cause of concern|one year on|update on",
         "revisits, progress reports, cause-of-concern closures"),
    Rule("revisit or progress", "head", r"progress (?:on|against) (?:the )?recommendations|"
         r"recommendations made in [^.\n]{0,40}\d{4} report", "second reports checking earlier recommendations"),
    Rule("letter or terms", "title", r"terms of reference|inspection programme|methodology|consultation|"
         r"enhanced monitoring decision|\bletter\b", "terms of reference, programmes, methodologies, letters"),
    Rule("letter or terms", "head", r"^letter information$|^dear [A-Z]", "letters published on the HMICFRS site"),
]


def first(rules: list[Rule], scopes: dict[str, str]) -> tuple[Rule, re.Match] | None:
    for rule in rules:
        found = list(rule.regex.finditer(scopes.get(rule.scope, "")))
        if found and len({m.group(0).lower() for m in found}) >= rule.hits:
            return rule, found[0]
    return None
