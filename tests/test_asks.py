"""A faithful restatement that lacks the asked-for fact is a near miss, not an answer."""

import pytest

from qa.checks.asks import (
    asked_about,
    asked_kind,
    before_asked_year,
    counts_other,
    missing_kind,
    missing_precision,
    not_about,
    says_not_given,
    unnamed_topic,
)
from qa.text.question import read_question
from qa.types import Passage
from tests.test_trust import chain, two_events  # noqa: F401  (fixture)

# asked_kind and report_names are off by default (qa/factory.py DEFAULT_CHECKS); these tests run them
EVERY_CHECK = "sentences,asked_kind,asked_about,report_names,newer_report"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people were injured in the Sabzqala bombing?", "quantity"),
        ("And how much aid arrived?", "quantity"),
        ("What was the death toll of the Tawila bombing?", "quantity"),
        ("When will pedestrian traffic resume at the Vorzan crossing?", "time"),
        ("At what time did the bomb go off?", "time"),
        ("What was the name of the water tanker driver?", "name"),
        ("Which political party's rallies did ISIS-K target?", "name"),
        ("Which countries did the detained men come from?", "name"),
        ("Who is the leader of ISIS-K?", "name"),
        ("Why did the Taliban close the crossing?", None),
        ("What did the Taliban say about the attack?", None),
        ("Who claimed the attack?", None),
        ("As of 6 April 2024, how many people had been killed?", "quantity"),
        ("According to the ministry, how many were detained?", "quantity"),
        ("What is the latest reported death toll of the bombing?", "quantity"),
    ],
)
def test_asked_kind(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("How many people were killed in the Tawila bombing?", "The bombing killed 57 people [1]."),
        ("How many soldiers died at the Vorzan Pass?", "Eleven soldiers were killed [2]."),
        ("How many were hurt?", "No one was hurt [1]."),
        ("When did the Qarzai Bazaar reopen?", "It reopened on 2 May 2024 [1]."),
        ("When was ISIS-K established?", "ISIS-K was established in 2015 [1]."),
        ("At what time did the bomb go off?", "Shortly after 09:40 [2]."),
        ("When did the siege end?", "The siege ended last week [1]."),
        ("What was the name of the bomber?", "Police named him as Karim Dost [1]."),
        ("Which countries did the detained men come from?", "They were from Tajikistan and Uzbekistan [2]."),
        ("Why did the Taliban close the crossing?", "Because of the attack [1]."),
    ],
)
def test_an_answer_of_the_asked_kind_passes(question, answer):
    assert missing_kind(question, answer) is None


@pytest.mark.parametrize(
    ("question", "answer", "kind"),
    [
        (
            "How many fighters does the Oussal Liberation Front have?",
            "The Oussal Liberation Front controls parts of the region's north [1].",
            "quantity",
        ),
        ("How many people were killed in the 2024 Tawila bombing?", "The 2024 bombing killed people [1].", "quantity"),
        (
            "When will pedestrian traffic resume at the Vorzan crossing?",
            "Officials gave no date for its resumption [2].",
            "time",
        ),
        ("When did the April attack happen?", "The attack happened in April [1].", "time"),
        (
            "What was the name of the water tanker driver wounded near Bir Assaka?",
            "The driver of the water tanker was wounded near Bir Assaka [3].",
            "name",
        ),
        (
            "Which countries did the foreign nationals arrested in the Pashtak raid come from?",
            "Some of the detained men were foreign nationals [2].",
            "name",
        ),
    ],
)
def test_an_answer_without_the_asked_fact_is_caught(question, answer, kind):
    assert missing_kind(question, answer) == kind


@pytest.mark.parametrize(
    ("reply", "question", "refusal_says"),
    [
        # a faithful restatement without the asked-for fact
        (
            "No group claimed the attack near Sabzqala [1].",
            "When did the minibus bombing near Sabzqala happen?",
            ("date or time", "No group claimed"),
        ),
        ("The bomb hit the minibus on 14 June 2025 [1].", "When did the minibus bombing near Sabzqala happen?", None),
        # a figure for another outcome than the one asked about
        (
            "Nine people were injured in the Sabzqala minibus bombing [1].",
            "How many people were injured in the minibus bombing near Sabzqala?",
            ("“injured”", "Nine people were injured"),
        ),
        (
            "The bomb killed nine passengers [1].",
            "How many passengers were killed in the minibus bombing near Sabzqala?",
            None,
        ),
    ],
)
def test_chain_refuses_an_answer_that_misses_what_is_asked_and_keeps_one_that_gives_it(
    two_events, reply, question, refusal_says
):
    c, model = chain(two_events, reply, checks=EVERY_CHECK)
    answer = c.ask(question)
    assert model.calls, "the question passed the gate: the model was asked"
    if refusal_says is None:
        assert not answer.abstained and answer.text.startswith(reply[:20])
    else:
        assert answer.abstained and answer.citations == ()
        assert all(part in answer.reason for part in refusal_says)


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("How many people were wounded in the Sabzqala bombing?", ("injured",)),
        ("How many trucks were in the second convoy?", ("second",)),
        ("How many of the men detained in Kabul were later released?", ("detained", "released")),
        ("How many cholera deaths were reported in May?", ("killed",)),
        ("How many people did the Moscow attack kill?", ("killed",)),
        ("Who is the leader of ISIS-K?", ("leader",)),
        ("What was the name of the TTP commander killed in Ghazband?", ("commander", "killed")),
        ("Who brokered the truce from which the Sand Brigade was excluded?", ()),
        ("What was the name of the bomber who killed nine people?", ("bomber",)),  # not "killed"
        ("How many trucks were stranded at the crossing?", ()),  # an open noun: left alone
        ("How many people were in the first convoy?", ()),  # "first" is often left unsaid
        # a participle clause on another noun says which ones, not what is asked for
        ("Which hospital treated the 25 people wounded in the earthquake?", ()),
        ("Which prime minister offered to resign after a recording criticising President Zelensky?", ()),
        # with an inverted auxiliary as the root, spaCy's clause is the question's own verb
        ("How many soldiers did Azerbaijan claim to have killed?", ("killed",)),
        ("How many people had the crisis displaced by October?", ("displaced",)),
        # on the asked noun, or inside its phrase, it is what is asked for
        ("What was the number of people killed in the attack?", ("killed",)),
        ("How many soldiers wounded in the attack were flown to Kabul?", ("injured",)),
    ],
)
def test_asked_about_reads_what_the_figure_or_name_is_of(question, about):
    assert asked_about(question) == about


PASSAGE = (
    "A roadside bomb hit a minibus near Sabzqala on 14 June 2025, killing nine teachers. "
    "Six men were detained the next day. It is not known whether any were charged. "
    "The first convoy of 22 trucks reached the town on 29 April. Two drivers were wounded in an ambush."
)


@pytest.mark.parametrize(
    ("question", "answer", "evidence", "gap"),
    [
        # the figure counts a wider group than the question asks for
        (
            "How many children were killed in the bombing?",
            "At least 40 people were killed [1].",
            "Bombing kills at least 40\nThe bomber struck the market, killing at least 40 people.",
            ("children",),
        ),
        # the sentence names what is counted, or the figure counts the same thing or concept
        ("How many children were killed?", "Six [1].", "The ministry said six deaths were of children.", ()),
        ("How many fatalities were there?", "40 [1].", "The blast caused 40 deaths.", ()),
        ("How many people were killed?", "40 people [1].", "The blast killed 40 people.", ()),
        # a figure that counts no noun decides neither way; other kinds of question are not read
        ("How many children were killed?", "39 [1].", "A total of 39 are confirmed dead.", ()),
        ("Who was killed?", "40 people [1].", "The blast killed 40 people.", ()),
    ],
)
def test_counts_other_finds_a_figure_that_counts_something_else(question, answer, evidence, gap):
    assert counts_other(question, answer, evidence) == gap


def test_what_a_how_many_question_counts():
    assert read_question("How many children were killed?").counted == "child"
    assert read_question("And how many of those deaths were children?").counted == "death"
    assert read_question("How many did police arrest in the raid?").counted is None
    assert read_question("Who was killed?").counted is None


@pytest.mark.parametrize(
    ("question", "answer", "gaps"),
    [
        # right kind of fact, wrong thing: the sentence holding the figure does not say what was asked
        ("How many people were injured in the Sabzqala bombing?", "Nine people were injured [1].", ("injured",)),
        ("How many of the men detained were charged?", "Six men were charged [1].", ("charged",)),
        ("How many teachers were abducted?", "Nine teachers were abducted [1].", ("abducted",)),
        ("How many trucks were in the second convoy?", "The second convoy had 22 trucks [1].", ("second",)),
        # the right thing, in other words: a synonym or inflection in the same sentence
        ("How many people were killed near Sabzqala?", "Nine people were killed [1].", ()),
        ("How many drivers were injured in the ambush?", "Two drivers were injured [1].", ()),
        ("How many people were arrested?", "Six people were arrested [1].", ()),
        ("How many trucks were in the first convoy?", "22 trucks [1].", ()),
        # not this check's business: no figure in the passage (the sentence check), or no asked words
        ("How many people were injured?", "Forty people were injured [1].", ()),
        ("Why was the minibus attacked?", "Nine teachers were on it [1].", ()),
    ],
)
def test_not_about_finds_a_figure_about_something_else(question, answer, gaps):
    assert not_about(question, answer, PASSAGE) == gaps


def test_not_about_checks_the_sentence_that_holds_a_name():
    passage = "The meeting was attended by Karim Dost, head of the traders' association. Aziz Noor chaired it."
    assert not_about("Who chaired the meeting?", "Karim Dost chaired the meeting [1].", passage) == ("chair",)
    assert not_about("Who chaired the meeting?", "Aziz Noor chaired it [1].", passage) == ()
    assert not_about("Who is the head of the association?", "Karim Dost [1].", passage) == ()


def test_not_about_passes_the_gold_answer_of_every_answerable_gold_question():
    """The false-refusal guard: with the gold answer and the gold reports, nothing is flagged."""
    import json
    from pathlib import Path

    root = Path(__file__).parent.parent / "eval"
    flagged = []
    for line in (root / "questions.jsonl").read_text().splitlines():
        q = json.loads(line)
        if not q.get("answer") or q["type"] in ("near_miss", "unanswerable"):
            continue
        evidence = "\n".join((root / "corpus" / s).read_text() for s in q["sources"])
        if gaps := not_about(q["question"], f"{q['answer'][0]} [1].", evidence):
            flagged.append((q["id"], gaps))
    assert flagged == []


@pytest.mark.parametrize(
    ("question", "answer", "passage"),
    [
        (
            "How many soldiers of the garrison died?",
            "47 [1].",
            "Officials said 47 members of the garrison had been killed.",
        ),
        ("How many prisoners will each side release?", "40 [1].", "Both sides will exchange 40 detainees each."),
        (
            "Who founded ISIS-K?",
            "The Pakistani Taliban [1].",
            "It was established in 2015 by fighters of the Pakistani Taliban.",
        ),
        ("How many militants died in the attack?", "16 [1].", "The official said 16 attackers were killed."),
    ],
)
def test_not_about_accepts_the_words_reports_use_instead(question, answer, passage):
    assert not_about(question, answer, passage) == ()


def _passage(text, title="Raid in Pashtak"):
    return Passage(text=text, doc_id="d1", chunk_id="d1:0", title=title)


def test_unnamed_topic_finds_a_name_answer_from_a_report_about_another_event():
    raid = _passage("Among the dead was a commander known as Abu Zarrar al-Darvani.")
    question = "What was the name of the TTP commander killed in Ghazband?"
    reads = []

    def whole(p):
        reads.append(p.doc_id)
        return "Pashtak lies north of Tawila."

    assert unnamed_topic(question, "Abu Zarrar al-Darvani [1].", [raid], whole) == ("Ghazband", "TTP")
    assert reads == ["d1"], "the rest of the report is read when the passage lacks a name"
    # the same name, from a report that does name the question's topic, passes
    border = _passage(raid.text, title="TTP attack in Ghazband")
    assert unnamed_topic(question, "Abu Zarrar al-Darvani [1].", [border], whole) == ()
    assert reads == ["d1"], "a passage naming everything needs no read of its report"


def test_unnamed_topic_reads_aliases_and_skips_questions_without_names():
    from qa.retrieve.aliases import load_aliases

    report = _passage("The Islamic State Khorasan Province bombing killed 57 people.", title="Bombing")
    assert (
        unnamed_topic("How many people did the ISKP bombing kill?", "57 [1].", [report], aliases=load_aliases()) == ()
    )
    assert unnamed_topic("How many people did the bombing kill?", "57 [1].", [report]) == ()


def test_chain_refuses_a_figure_from_a_report_that_never_names_the_asked_actor(two_events):
    question = "How many people were killed in the Sabzqala minibus bombing claimed by Islamic State Khorasan Province?"
    c, model = chain(two_events, "placeholder", checks=EVERY_CHECK)
    passages = c.retriever.retrieve(question).passages
    n = next(i for i, x in enumerate(passages, 1) if "Sabzqala" in x.text)
    c, model = chain(two_events, f"Nine passengers were killed [{n}].", checks=EVERY_CHECK)
    answer = c.ask(question)
    assert model.calls, "both names are in the passages: the gate let it through"
    assert answer.abstained and "never mentions Islamic State Khorasan Province" in answer.reason


@pytest.mark.parametrize(
    ("question", "answer", "evidence", "gap"),
    [
        # a report's own word for the group is no wider group: it decides neither way
        (
            "How many soldiers of the garrison died?",
            "47 [1].",
            "Officials said 47 members of the garrison had been killed.",
            (),
        ),
        ("How many prisoners will each side release?", "40 [1].", "Both sides will exchange 40 detainees each.", ()),
        ("How many people were killed?", "Nine [1].", PASSAGE, ()),  # teachers are people
        ("How many tanks were destroyed?", "12 [1].", "Twelve vehicles were destroyed in the strike.", ()),
        # what an event made the people it counts: victims, fatalities, hostages
        ("How many victims were there?", "40 [1].", "The blast killed 40 people.", ()),
        ("How many fatalities were there?", "40 [1].", "The blast killed 40 people.", ()),
        ("How many casualties were reported?", "40 [1].", "The blast killed 40 people.", ()),
        ("How many hostages were freed?", "40 [1].", "Gunmen freed 40 people on Sunday.", ()),
        # a thing of another sort, by WordNet: rockets for troops
        ("How many troops were wounded?", "17 [1].", "Seventeen rockets struck near the base.", ("troops",)),
        # an acronym is the report's own word, not WordNet's "IDP" (integrated data processing)
        (
            "How many people in Somalia had recently been displaced by drought?",
            "1.1 million IDPs are in Somalia, with about 192,000 recently displaced by drought [1].",
            "An estimated 1.1 million IDPs are currently in Somalia with about 192,000 being recently displaced.",
            (),
        ),
        # and so is the question's own acronym
        ("How many IDPs returned to Tawila?", "4,000 [1].", "About 4,000 displaced people returned to Tawila.", ()),
        ("How many MPs voted for the motion?", "312 [1].", "In all, 312 lawmakers voted for the motion.", ()),
    ],
)
def test_counts_other_refuses_only_a_wider_group(question, answer, evidence, gap):
    assert counts_other(question, answer, evidence) == gap


@pytest.mark.parametrize(
    ("question", "answer", "lacking"),
    [
        ("On what date did the talks in Varno begin?", "The talks were expected to begin in January [1].", "day"),
        ("On what date did the talks in Varno begin?", "The talks began on 3 March [1].", None),
        ("On what date did the talks in Varno begin?", "They began on Monday [1].", None),
        ("On what date did the talks in Varno begin?", "They began on the 5th of May [2].", None),
        ("What was the date of the Varno attack?", "It happened in 2019 [1].", "day"),
        ("In what year was the Varno bridge built?", "It was built in March [1].", "year"),
        ("In what year was the Varno bridge built?", "1873 [1].", None),
        ("When did the talks in Varno begin?", "In January [1].", None),  # "when": any time answers it
    ],
)
def test_a_date_question_wants_the_calendar_part_it_names(question, answer, lacking):
    assert missing_precision(question, answer) == lacking


@pytest.mark.parametrize(
    ("question", "answer", "clash"),
    [
        (
            "On what date was the ceasefire that ended the 2020 Varno war signed?",
            "The ceasefire that ended the 2020 Varno war was signed on September 30, 1994 [1].",
            (1994, 2020),
        ),
        ("On what date was the ceasefire that ended the 2020 Varno war signed?", "On 10 November 2020 [1].", None),
        ("When did the 2019 Varno protests begin?", "In December 2018 [1].", None),  # a year before: can be
        # the year is when the hall burned, not what the question dates
        ("In what year was the Varno hall, destroyed by fire in June 2020, built?", "1873 [1].", None),
        ("How many died in the 2020 Varno floods?", "Twelve died in 1994 [1].", None),  # not a time question
    ],
)
def test_a_date_years_before_the_event_the_question_names_is_of_another_event(question, answer, clash):
    assert before_asked_year(question, answer) == clash


@pytest.mark.parametrize(
    ("question", "answer", "declines"),
    [
        ("What was the cause of death of the former Varno governor?", "Cause of death was not announced [1].", True),
        ("Who led the convoy to Varno?", "The reports do not say who led the convoy [1].", True),
        ("Was the Varno commander arrested?", "He was not arrested [1].", False),  # answers a yes/no question
        ("How many people were not evacuated from Varno?", "300 people were not evacuated [1].", False),
        ("Who led the convoy to Varno?", "It was not led by Karim Dost but by Aziz Noor [1].", False),
        ("When did the convoy reach Varno?", "It did not reach Varno until 4 May 2024 [1].", False),
        ("What was the cause of the Varno fire?", "Faulty wiring caused the fire [1].", False),
    ],
)
def test_an_answer_that_only_says_the_fact_is_not_given_declines(question, answer, declines):
    assert says_not_given(question, answer) is declines


def test_the_date_rules_pass_every_dev_gold_answer_with_its_evidence():
    """The false-refusal guard on real text: each answerable question of the real dev split, its
    gold answer alone and its evidence sentence as the answer, is not refused by the date rules."""
    import json
    from pathlib import Path

    flagged = []
    for line in (Path(__file__).parent.parent / "eval" / "real" / "questions.jsonl").read_text().splitlines():
        q = json.loads(line)
        if q["split"] != "dev" or not q.get("answer"):
            continue
        for answer in (f"{q['answer'][0]} [1].", f"{q['evidence']} [1]"):
            if missing_precision(q["question"], answer) or before_asked_year(q["question"], answer):
                flagged.append((q["id"], answer))
            if says_not_given(q["question"], answer):
                flagged.append((q["id"], answer))
    assert flagged == []


def test_a_name_that_opens_the_answer_is_still_a_name():
    question = "Which country won the bid to host the AfCFTA secretariat?"
    assert missing_kind(question, "Ghana won the bid to host the AfCFTA secretariat [1].") is None
    assert missing_kind(question, "Several countries bid to host the AfCFTA secretariat [1].") == "name"


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("On what date did the Varno talks begin?", "They were expected to begin in January [1].", "no day for this"),
        (
            "On what date was the ceasefire that ended the 2020 Varno war signed?",
            "It was signed on September 30, 1994 [1].",
            "dates it to 1994, but the question is about 2020",
        ),
        (
            "What was the cause of death of the Varno governor?",
            "Cause of death was not announced [1].",
            "do not give it",
        ),
    ],
)
def test_the_asked_kind_check_refuses_with_what_the_model_said(question, answer, reason):
    from qa.answer.citations import resolve_citations
    from qa.checks.asks import AskedKind
    from qa.checks.base import Draft

    passages = [Passage("The Varno talks and the 2020 Varno war were in the news.", "d", "d:0")]
    text, cites = resolve_citations(answer, passages)
    verdict = AskedKind()(Draft(question, question, question, text, cites, tuple(passages)))
    assert verdict.action == "refuse" and reason in verdict.reason
    assert answer.removesuffix(" [1].") in verdict.reason, "the reason quotes the model"
