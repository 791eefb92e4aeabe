"""Name knowledge used by matching: nickname equivalences, common given names, names from e-mail local parts.

Everything here is plain data + pure functions over lower-case ASCII name keys (the ``given_key`` /
``family_key`` match keys produced by standardisation).  Functions are memoised because the same few
thousand names repeat across millions of records.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jellyfish

# Canonical given name -> nicknames / short forms / common spelling variants.  A nickname may belong to
# several canonical names (chris -> christopher, christine, christina); equivalence is "share a canonical".
# Compiled from common English-language usage (diminutives, hypocorisms and frequent variant spellings).
_NICKNAMES = """
abigail: abby abbie abi gail
abraham: abe bram
adam: ad
adrian: ade
albert: al bert bertie
alexander: alex alec alek xander sandy lex al sasha
alexandra: alex alexa lexi lexie sandra sandy sasha alix
alexis: alex lexi
alfred: alf alfie al fred freddie
alice: ally allie
alison: ali allie ally allison alyson
amanda: mandy manda amy
amelia: millie amy mia
andrew: andy drew andre
angela: angie ange
anne: ann annie anna nan nancy
annabel: annabelle bella
anthony: tony ant anton antony
antonio: tony toni
archibald: archie
arnold: arnie
arthur: art artie
barbara: barb barbie babs
barnaby: barney
bartholomew: bart
beatrice: bea bee trixie
benedict: ben benny
benjamin: ben benny benji
bernard: bernie bern
beverley: bev beverly
bradley: brad
brandon: bran
brendan: bren
bridget: bridie biddy
caitlin: cait katelyn kaitlyn caitlyn kate
calvin: cal
cameron: cam
camilla: cami milly
carl: karl
caroline: carol carrie caro carolyn
catherine: cathy cath kate katie kat cate cathie katherine kathryn kathy kath kitty
cecilia: cece cissy
charles: charlie chuck chas chaz chip carl
charlotte: charlie lottie lotte
christian: chris christy
christina: chris chrissy tina christine kristina
christine: chris chrissy christina kristine
christopher: chris kit topher cristopher kristopher
clara: claire clare
clarence: clare
clifford: cliff
colin: col
connor: con conor
constance: connie
cornelius: neil corny
cynthia: cindy
daniel: dan danny
danielle: dani elle
david: dave davey davie
deborah: deb debbie debra debby
dennis: den denny
diana: di diane dianne
dominic: dom dominick
donald: don donnie
dorothy: dot dottie dolly dora
douglas: doug dougie
edmund: ed eddie ned edmond
edward: ed eddie ned ted teddy ward
edwin: ed eddie win
eleanor: ellie nell nellie nora elle elenor
elisabeth: elizabeth
elizabeth: liz lizzie beth betty bess bessie eliza libby lisa elsie betsy liza lizzy elisabeth
ellen: ellie nell
emily: em emmy millie
emma: em emmie
eric: rick ricky erik
ernest: ernie
eugene: gene
evelyn: eve evie
frances: fran fanny frankie
francis: frank frankie fran
frederick: fred freddie freddy fritz frederic
gabriel: gabe gabby
gabrielle: gabby gabi elle
geoffrey: geoff jeff jeffrey
george: georgie geo
georgia: georgie george
georgina: georgie gina
gerald: gerry jerry ged
geraldine: gerry geri dina
gertrude: gertie trudy
gilbert: gil bert
gregory: greg
gwendolyn: gwen wendy
harold: hal harry
harriet: hattie harry
harrison: harry
helen: nell nellie ellie
henrietta: hetty etta
henry: harry hank hal
herbert: herb bert
hugh: hughie
hugo: hugh
ignatius: iggy
isaac: ike zac
isabel: isabelle isabella izzy bella belle isobel
isabella: izzy bella isabel
jacob: jake jack jakob
jacqueline: jackie jacqui jacky
james: jim jimmy jamie jimbo jas
jane: janie jenny
janet: jan jenny
jason: jay
jeffrey: jeff geoff geoffrey
jennifer: jen jenny jenn jenna
jeremy: jerry jem
jerome: jerry
jessica: jess jessie jessy
joanna: jo joanne joan
joanne: jo joanna jo-anne
john: jack johnny jon jonny
jonathan: jon jonny john nathan
joseph: joe joey jos jo
josephine: jo josie jojo
joshua: josh
judith: judy jude
julia: jules julie
julian: jules
justin: just
katherine: kate katie kathy kath kat kitty catherine kathryn katharine
kathleen: kath kathy kate katie
kenneth: ken kenny
kimberly: kim kimberley
lawrence: larry laurie lance laurence
leonard: len lenny leo
leslie: les lesley
lewis: lew louis
lillian: lily lil lilly
lindsay: lindsey
louis: lou lewis
louisa: lou lulu louise
louise: lou lulu louisa
lucas: luke
lucinda: cindy lucy
lucy: lu
luke: lucas
madeleine: maddie maddy madeline madelyn
margaret: maggie meg peggy peg marge margie greta rita molly daisy madge maisie margo
marjorie: marge margie
martha: marty mattie patty
martin: marty
mary: molly polly mae mamie maria marie
matilda: tilly tilda mattie
matthew: matt matty
maximilian: max
maxwell: max
melanie: mel
melissa: mel missy lissa
michael: mike mick micky mikey mickey mitch
michelle: shelly michele
mitchell: mitch
nathan: nate nat
nathaniel: nate nat nathan
nicholas: nick nicky nico nic
nicole: nicky nikki nic
norman: norm
oliver: ollie olly
olivia: liv livvy ollie
oscar: ossie
pamela: pam
patricia: pat patty tricia trish patsy
patrick: pat paddy rick
penelope: penny
peter: pete
philip: phil pip phillip
phillip: phil philip
priscilla: cilla prissy
rachel: rach
raymond: ray
rebecca: becky becca bec beck
reginald: reg reggie
richard: rick ricky dick rich richie
robert: bob bobby rob robbie bert robin
roberta: bobbie robbie
rodney: rod
ronald: ron ronnie
rosemary: rose rosie
rosalind: ros roz
russell: russ
samantha: sam sammy
samuel: sam sammy
sarah: sally sadie sara
sebastian: seb
sidney: sid
simon: si
sophia: sophie
stanley: stan
stephanie: steph stephie
stephen: steve stevie steven
steven: steve stevie stephen
stuart: stu stewart
susan: sue susie suzy
suzanne: sue susie suzy susanne
sylvester: sly
terence: terry
theodore: ted teddy theo
thomas: tom tommy thom
timothy: tim timmy
tobias: toby
valerie: val
veronica: ronnie vera
victor: vic
victoria: vicky vicki tori vic
vincent: vince vinnie
virginia: ginny ginger
walter: walt wally
wilfred: wil fred
william: will bill billy willie willy liam wil
winifred: winnie
yvonne: von
zachary: zach zack zac
alan: allan allen
ann: anne
brian: bryan
eric: erik
isobel: isabel
mohammed: mohammad muhammad mohamed mo
sean: shaun shawn
zoe: zoey
rebecca: rebekah
mark: marc
"""

# Common given names (beyond the table above) used to split e-mail local parts such as "georgiasmith".
_GIVEN_EXTRA = """
aaron aidan aiden alan alana alberto alicia allan alyssa amber amy ana andrea angus anita ann anna annie
april ashley audrey austin ava bailey barry beau bella ben beth bethany betty bianca blake bonnie brenda
brett brian brianna brittany brodie brooke bruce bryan bryce caleb callum candice cara carla carlos carmen
carol carolyn casey cassandra chad chantelle charlene charli chelsea cheryl chloe chelsey claire clayton
cody colleen corey courtney craig crystal dale dallas damian damien dana darren darryl dean declan denise
derek destiny dylan eden elaine eli elijah elise ella ellie elliot emilia emmanuel erica erin ethan eva
evan faith felix fiona flynn gavin gemma gina glen glenn gordon grace graham grant hamish hannah harper
hayden hayley heath heather holly hudson hunter ian imogen indigo irene isla ivy jack jackson jade jamie
jared jasmine jay jayden jean jenna jesse jill joan joel jordan josie joy joyce juan julie june kai karen
kayla keith kelly kelsey kevin kieran kirsty kristen kyle lachlan lara laura lauren layla leah lee leo
leon levi liam lily linda lisa logan lola lorraine lucas luca lydia lynn mackenzie madison maria marie
mark marcus mason matilda maya megan mia mila miles milla molly monica morgan naomi natalie natasha neil
nina noah nora owen paige paul paula pearl phoebe piper poppy quinn rhys riley rita robyn rose ross ruby
ruth ryan sabrina sally sandra sara scarlett scott sean shane shannon sharon shaun shirley sienna sofia
sonia stella summer sydney tara taylor teresa tessa thea tina todd tracey travis trent trevor troy tyler
vanessa violet wayne wendy willow xavier zara zoe soren mohammed muhammad ahmed ali fatima priya raj
rahul wei li ming chen hui yan jun mei nguyen thi minh anh duc lan linh hoa huong tuan
"""


def _parse_table() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in _NICKNAMES.strip().splitlines():
        canonical, _, rest = line.partition(":")
        canonical = canonical.strip()
        members = {canonical, *(re.sub(r"[^a-z]", "", w) for w in rest.split())}
        for name in members:
            if name:
                groups.setdefault(name, set()).add(canonical)
    return {name: frozenset(canon) for name, canon in groups.items()}


#: name -> canonical names it belongs to (a canonical maps to itself).
NICKNAME_GROUPS: dict[str, frozenset[str]] = _parse_table()
#: every given name we know, for splitting e-mail local parts.
KNOWN_GIVEN: frozenset[str] = frozenset(NICKNAME_GROUPS) | frozenset(_GIVEN_EXTRA.split())


def _one_deleted(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _deletion_index(names: frozenset[str]) -> dict[str, frozenset[str]]:
    """Each name and each of its one-letter deletions -> the names: two words one edit apart
    (insertion, deletion, substitution, transposition) share a key (symmetric deletion)."""
    index: dict[str, set[str]] = {}
    for name in names:
        for key in {name} | _one_deleted(name):
            index.setdefault(key, set()).add(name)
    return {key: frozenset(found) for key, found in index.items()}


_KNOWN_BY_DELETION = _deletion_index(KNOWN_GIVEN)


@lru_cache(maxsize=1 << 16)
def canonical_given(name: str) -> str:
    """One representative canonical name (alphabetically first) used for blocking and term frequencies."""
    groups = NICKNAME_GROUPS.get(name)
    return min(groups) if groups else name


@lru_cache(maxsize=1 << 18)
def nickname_equivalent(a: str, b: str) -> bool:
    """True when two given names share a canonical name (bob ~ robert, peggy ~ margaret, chris ~ christine)."""
    if a == b:
        return True
    ga, gb = NICKNAME_GROUPS.get(a), NICKNAME_GROUPS.get(b)
    return bool(ga and gb and ga & gb)


@lru_cache(maxsize=1 << 18)
def misspelt_given(name: str) -> frozenset[str]:
    """The known given names an unknown name of 4+ letters is one slip away from ("hnnah", "maary",
    "pattrick", "aaon"), when they are all one name (one nickname group): empty otherwise.

    Slips keep the first letter; a known name plus "s" ("peters", "williams") is a family name, not
    a slip; and a word one slip from two different names ("jana": jane, jan) is read as itself."""
    if len(name) < 4 or name in KNOWN_GIVEN:
        return frozenset()
    found: set[str] = set()
    for key in {name} | _one_deleted(name):
        found.update(_KNOWN_BY_DELETION.get(key, ()))
    found = {
        known
        for known in found
        if known[0] == name[0]
        and name != known + "s"
        and len(known) > 1
        and jellyfish.damerau_levenshtein_distance(name, known) == 1
    }
    if len({canonical_given(known) for known in found}) != 1:
        return frozenset()
    return frozenset(found)


def _alike(a: str, b: str) -> bool:
    """The same name, a nickname of it, or a form it starts with (Alex / Alexandra)."""
    if a == b or nickname_equivalent(a, b):
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 3 and long_.startswith(short)


@lru_cache(maxsize=1 << 20)
def misspelt_alike(a: str, b: str) -> bool:
    """True when reading a misspelt name as the known name it slipped from makes the two names alike
    ("bily" / "william" through "billy", "aanda" / "mandy" through "amanda")."""
    readings_a = misspelt_given(a) | {a}
    readings_b = misspelt_given(b) | {b}
    if len(readings_a) == 1 and len(readings_b) == 1:
        return False
    return any(_alike(x, y) for x in readings_a for y in readings_b if (x, y) != (a, b))


# Given-name comparison levels (shared with comparison.py).
GIVEN_MISSING, GIVEN_DIFFERENT, GIVEN_INITIAL, GIVEN_CLOSE, GIVEN_NICKNAME, GIVEN_EXACT = 0, 1, 2, 3, 4, 5


@lru_cache(maxsize=1 << 20)
def given_level(a: str, b: str) -> int:
    """Compare two given-name keys: exact / nickname / typo-close / initial-compatible / different.

    "Clearly different" (level 1) is what the household rule acts on, so anything a real person could
    plausibly write for the same name (nickname, short form, prefix, one typo, initial) is *not* level 1.
    """
    if not a or not b:
        return GIVEN_MISSING
    if a == b:
        return GIVEN_EXACT
    if len(a) == 1 or len(b) == 1:
        return GIVEN_INITIAL if a[0] == b[0] else GIVEN_DIFFERENT
    if nickname_equivalent(a, b):
        return GIVEN_NICKNAME
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 3 and long_.startswith(short):  # Alex / Alexandra, Chris / Christopher, Sam / Samuel
        return GIVEN_NICKNAME
    if a in KNOWN_GIVEN and b in KNOWN_GIVEN:
        # two real, different names one letter apart (John / Joan, Mark / Mary) are two people
        return GIVEN_CLOSE if jellyfish.jaro_winkler_similarity(a, b) >= 0.94 else GIVEN_DIFFERENT
    if _close(a, b) or misspelt_alike(a, b):
        return GIVEN_CLOSE
    return GIVEN_DIFFERENT


@lru_cache(maxsize=1 << 20)
def _close(a: str, b: str) -> bool:
    """Typo-close: one edit (incl. transposition) for names of 4+ letters, or high Jaro-Winkler."""
    if min(len(a), len(b)) >= 4 and jellyfish.damerau_levenshtein_distance(a, b) <= 1:
        return True
    if min(len(a), len(b)) == 3 and abs(len(a) - len(b)) == 1 and jellyfish.levenshtein_distance(a, b) == 1:
        return True  # a dropped letter in a short name: "Lng" / "Ling"
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) == 2 and len(long_) == 3 and short not in KNOWN_GIVEN and short[0] == long_[0]:
        return jellyfish.levenshtein_distance(a, b) == 1  # "Ay" / "Amy", "Mi" / "Mei"; not "Jo" / "Joy"
    if min(len(a), len(b)) >= 5 and jellyfish.damerau_levenshtein_distance(a, b) <= 2 and a[0] == b[0]:
        return jellyfish.jaro_winkler_similarity(a, b) >= 0.9
    return jellyfish.jaro_winkler_similarity(a, b) >= 0.94


# Family-name levels.
FAMILY_MISSING, FAMILY_DIFFERENT, FAMILY_INITIAL, FAMILY_CLOSE, FAMILY_EXACT = 0, 1, 2, 3, 4


@lru_cache(maxsize=1 << 20)
def family_level(a: str, b: str, pa: str, pb: str) -> int:
    """Compare family-name keys (with their phonetic codes ``pa``/``pb``)."""
    if not a or not b:
        return FAMILY_MISSING
    if a == b:
        return FAMILY_EXACT
    if len(a) == 1 or len(b) == 1:
        return FAMILY_INITIAL if a[0] == b[0] else FAMILY_DIFFERENT
    if (pa and pa == pb and a[0] == b[0]) or _close(a, b):
        return FAMILY_CLOSE
    # double-barrelled / hyphenated: "smithjones" vs "smith"
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and (long_.startswith(short) or long_.endswith(short)):
        return FAMILY_CLOSE
    return FAMILY_DIFFERENT


_LOCAL_SPLIT_RE = re.compile(r"[._\-]+")
_DIGITS_RE = re.compile(r"\d+")
# Local parts that name a role or a household rather than a person.
_ROLE_WORDS = (
    "info admin office contact sales accounts account billing support hello enquiries enquiry mail email "
    "team home family thefamily reception noreply webmaster service services help orders shop"
)
_ROLE_LOCALS = frozenset(_ROLE_WORDS.split())


def _split_concatenated(word: str) -> tuple[str | None, str | None]:
    """Split e.g. "georgiasmith" into ("georgia", "smith"): a known given name prefix leaving 3+ letters."""
    best = None
    for cut in range(min(len(word) - 3, 12), 2, -1):  # longest known given-name prefix wins
        head = word[:cut]
        if head in KNOWN_GIVEN:
            best = cut
            break
    if best is None:
        return None, None
    return word[:best], word[best:]


@lru_cache(maxsize=1 << 18)
def names_from_email(email_key: str) -> tuple[str | None, str | None]:
    """Recover (given, family) keys from an e-mail local part; (None, None) when it names nobody.

    "john.smith" -> (john, smith); "smith.john" -> (john, smith) when only "john" is a known given name;
    "jsmith" -> (j, smith); "georgiasmith" -> (georgia, smith); "isaac.fernandez69" -> (isaac, fernandez).
    Role/household mailboxes (info@, thesmiths@) give nothing.
    """
    if not email_key or "@" not in email_key:
        return None, None
    local = email_key.split("@", 1)[0]
    local = _DIGITS_RE.sub("", local)
    parts = [re.sub(r"[^a-z]", "", p) for p in _LOCAL_SPLIT_RE.split(local)]
    parts = [p for p in parts if p]
    if not parts or parts[0] in _ROLE_LOCALS:
        return None, None
    if len(parts) >= 2:
        first, last = parts[0], parts[-1]
        if len(first) == 1 and len(last) == 1:
            return None, None
        if first not in KNOWN_GIVEN and last in KNOWN_GIVEN and len(first) > 1:
            first, last = last, first
        return first, last if len(last) > 1 else None
    word = parts[0]
    if len(word) < 4:
        return None, None
    if word in KNOWN_GIVEN:
        return word, None
    given, family = _split_concatenated(word)
    if given:
        return given, family
    for cut in range(3, len(word) - 2):  # "thompsondanielle": family name then a known given name
        if word[cut:] in KNOWN_GIVEN and len(word) - cut >= 4:
            return word[cut:], word[:cut]
    # "jsmith": initial + family name (only when the rest is not itself a known given name)
    if len(word) >= 5 and word[1:] not in KNOWN_GIVEN:
        return word[0], word[1:]
    return None, None
