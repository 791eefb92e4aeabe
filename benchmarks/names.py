"""Compact embedded word lists for the synthetic customer generator (``benchmarks.datagen``).

Kept as whitespace-separated strings so the data stays small, reviewable and needs no
downloaded data files. Order matters: the generator derives frequency weights from list position
(Zipf-like), so the most common names come first.
"""

from __future__ import annotations

# Given names, most common first. Underscores stand for spaces (none used at present).
MALE_GIVEN = """
James John Robert Michael William David Richard Joseph Thomas Christopher Daniel Matthew Andrew Mark
Anthony Steven Paul Peter Jonathan Benjamin Samuel Nicholas Alexander Jack Thomas Edward Kenneth Kevin
Brian George Timothy Ronald Jason Jeffrey Ryan Jacob Gary Eric Stephen Justin Scott Gregory Patrick
Raymond Dennis Aaron Adam Nathan Henry Douglas Zachary Kyle Noah Ethan Jeremy Walter Christian Keith
Terry Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan Jesse Bruce Gabriel Alan Albert Wayne
Vincent Liam Oliver Lachlan Cooper Harrison Mitchell Hamish Angus Callum Riley Lucas Leo Hugo Max Oscar
Charlie Archie Hudson Isaac Levi Mason Xavier Harry Luke Blake Jayden Darren Craig Shane Brett Glenn
Troy Dean Grant Neil Ian Graham Colin Malcolm Stuart Trevor Barry Bradley Nathaniel Tristan Declan
Connor Aidan Rhys Finn Marco Luca Giuseppe Giovanni Antonio Francesco Dimitri Nikolaos Georgios
Konstantinos Wei Jun Hao Minh Duc Tuan Huy Raj Arjun Rahul Vikram Sanjay Amit Mohammed Ahmed Ali Omar
Hassan Karim José Jürgen Björn Søren André François Jérôme Joaquín Ángel Łukasz Piotr Tomasz Hiroshi
Kenji Sione Wiremu Mateo Emil
"""

FEMALE_GIVEN = """
Sarah Jennifer Elizabeth Michelle Jessica Emma Rebecca Margaret Katherine Lisa Mary Patricia Linda
Susan Karen Nicole Amanda Melissa Stephanie Laura Emily Olivia Charlotte Sophie Hannah Rachel Kylie
Catherine Christine Deborah Sharon Helen Anna Samantha Kimberly Angela Julie Joanne Kathleen Amy
Andrea Natalie Victoria Jacqueline Megan Danielle Lauren Chloe Grace Ruby Mia Ava Amelia Isla Matilda
Harper Willow Ella Sienna Evie Scarlett Georgia Jasmine Tahlia Tracey Leanne Belinda Narelle Kirsten
Fiona Bronwyn Gemma Alice Lucy Caitlin Jade Claire Rose Holly Bianca Tegan Erin Abigail Alexandra Jane
Maria Heather Diane Joyce Kelly Christina Joan Evelyn Judith Cheryl Martha Gloria Teresa Ann Frances
Janet Jean Sophia Denise Amber Marilyn Beverly Isabella Theresa Diana Madison Dorothy Barbara Carol
Pamela Brenda Ruth Zoë Renée Chloé Noémie Inés Mónica Lucía Sofía Giulia Francesca Eleni Despina Mei
Ling Xin Yan Thi Linh Trang Huong Priya Ananya Deepa Sunita Fatima Aisha Layla Yasmin Ingrid Astrid
Hélène Agnieszka Katarzyna Yuki Sakura Aroha Mere Penelope Harriet Imogen Poppy Freya Eloise
"""

# Formal given name -> nicknames people (and support agents, and sign-up forms) actually use.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Richard": ("Rick", "Dick", "Rich", "Richie"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Jonathan": ("Jon", "Jonny"),
    "Michael": ("Mike", "Mick", "Mikey"),
    "Christopher": ("Chris", "Kit"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Andrew": ("Andy", "Drew"),
    "Anthony": ("Tony", "Ant"),
    "Steven": ("Steve",),
    "Stephen": ("Steve",),
    "Benjamin": ("Ben", "Benji"),
    "Samuel": ("Sam", "Sammy"),
    "Nicholas": ("Nick", "Nicky"),
    "Alexander": ("Alex", "Xander", "Sandy"),
    "Edward": ("Ed", "Eddie", "Ted", "Ned"),
    "Thomas": ("Tom", "Tommy"),
    "Timothy": ("Tim", "Timmy"),
    "Kenneth": ("Ken", "Kenny"),
    "Joseph": ("Joe", "Joey"),
    "Patrick": ("Pat", "Paddy"),
    "Gregory": ("Greg",),
    "Raymond": ("Ray",),
    "Douglas": ("Doug",),
    "Zachary": ("Zach", "Zac"),
    "Nathan": ("Nate",),
    "Nathaniel": ("Nate", "Nat"),
    "Lawrence": ("Larry", "Laurie"),
    "Gerald": ("Gerry",),
    "Harold": ("Harry", "Hal"),
    "Henry": ("Harry", "Hank"),
    "Jeffrey": ("Jeff",),
    "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don", "Donny"),
    "Frederick": ("Fred", "Freddie"),
    "Bradley": ("Brad",),
    "Vincent": ("Vince", "Vinnie"),
    "Zoë": ("Zoe",),
    "Elizabeth": ("Liz", "Beth", "Betty", "Lizzie", "Eliza"),
    "Margaret": ("Maggie", "Peggy", "Meg", "Marge"),
    "Katherine": ("Kate", "Kathy", "Katie", "Kat"),
    "Catherine": ("Cathy", "Cate", "Kate"),
    "Kathleen": ("Kath", "Kathy"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Bec"),
    "Jessica": ("Jess", "Jessie"),
    "Samantha": ("Sam", "Sammy"),
    "Victoria": ("Vicky", "Tori"),
    "Alexandra": ("Alex", "Sandra", "Lexi"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Susan": ("Sue", "Susie"),
    "Deborah": ("Deb", "Debbie"),
    "Christine": ("Chris", "Chrissy"),
    "Christina": ("Tina", "Chris"),
    "Stephanie": ("Steph",),
    "Jacqueline": ("Jackie",),
    "Abigail": ("Abby",),
    "Penelope": ("Penny",),
    "Pamela": ("Pam",),
    "Dorothy": ("Dot", "Dottie"),
    "Barbara": ("Barb", "Babs"),
    "Theresa": ("Tess", "Terri"),
    "Teresa": ("Tess", "Terri"),
    "Amanda": ("Mandy",),
    "Melissa": ("Mel", "Missy"),
    "Natalie": ("Nat",),
    "Isabella": ("Bella", "Izzy"),
    "Madison": ("Maddie",),
    "Harriet": ("Hattie",),
    "Eleni": ("Helen",),
    "Francesca": ("Frankie",),
    "Gabriel": ("Gabe",),
    "Konstantinos": ("Con", "Kosta"),
    "Nikolaos": ("Nick",),
    "Georgios": ("George",),
    "Giuseppe": ("Joe", "Pino"),
    "Giovanni": ("John", "Gianni"),
    "Francesco": ("Frank",),
    "Mohammed": ("Mo",),
}

# Family names, most common (in Australia) first. Underscores stand for spaces.
FAMILY = """
Smith Jones Williams Brown Wilson Taylor Nguyen Johnson Martin White Anderson Walker Thompson Thomas
Lee Ryan Kelly King Harris Robinson Campbell Clarke Mitchell Young Wright Tran Wood Hughes Roberts Davis
Edwards Evans Green Hall Murphy Scott Jackson Lewis Stewart Turner Cooper Baker Allen Wang Li Singh
Patel Chen Zhang Le Pham Murray Hill Johnston Ward Morris Moore Collins Clark Phillips Watson Kennedy
Bell James O'Brien Harrison Lloyd Graham Chapman Parker Morgan Wilkinson Carter Marshall Simpson
Bennett Russell Kaur Kumar Sharma Liu Huang Wu Zhou Yang Xu Sun Ma Zhu Hu Lin Ho Wong Chan Cheung Lam
Tan Lim Ng Kim Park Choi Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno
Gallo Conti De_Luca Costa Giordano Papadopoulos Georgiou Nikolaidis Dimitriou Konstantinou Vlahos
Pappas Christodoulou Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
Schröder Köhler García Martínez López González Rodríguez Fernández Pérez Sánchez Ramírez Muñoz Peña
Ibáñez van_der_Berg van_Dijk de_Jong Jansen de_Vries Bakker Visser Smit Meijer de_Boer Mulder McDonald
MacKenzie McKenzie McLean MacLeod McGregor McCarthy McMahon McInnes O'Connor O'Neill O'Sullivan
O'Donnell O'Reilly O'Keefe Fitzgerald Fitzpatrick Doherty Brennan Byrne Gallagher Quinn Sullivan Walsh
Kavanagh Dunn Burke Nolan Khoury Haddad Nassar Saleh Hussein Ahmed Ali Khan Rahman Hossain Islam Das
Reddy Rao Iyer Nair Menon Pillai Gupta Joshi Mehta Shah Desai Fernando Perera Silva da_Silva
dos_Santos Santos Oliveira Pereira Nowak Kowalski Wiśniewski Wójcik Kowalczyk Novak Horvat Kovačević
Petrović Jovanović Nikolić Popović Ivanov Petrov Smirnov Andersson Johansson Karlsson Nielsen Hansen
Jensen Larsen Eriksen Olsen Berg Lindqvist Davies Jenkins Price Griffiths Owen Rees Powell Ellis Hunt
Knight Mills Webb Fox Cole Dixon Fraser Hamilton Henderson Reid Ross Paterson Gray Grant Kerr Ferguson
Black Duncan Hay Sinclair Gordon Burns Cunningham Crawford Armstrong Hunter Stevens Rogers Reynolds
Marsh Howard Lawrence Pearce Barnes Payne Holmes Matthews Lane Dean Elliott Palmer Hart Shaw Lucas
Fletcher Bird Cox Hayes Ford Sutton Mason Porter Gibson Butler Fisher Barker Newman Austin Stone
Pearson Ball Rowe Lamb Hudson Page Perry Booth Kemp Lowe Nash Day Sharp Moss Norton Reeves Cross
Francis Wade Hopkins Stephens Burton Fuller Bates Higgins Baxter Doyle Jordan Lynch Hoang Huynh Phan
Vu Vo Dang Bui Do Ngo Duong Ly Truong Dinh Sato Suzuki Takahashi Tanaka Watanabe Yamamoto Nakamura
Kobayashi Cohen Levy Friedman Katz Goldberg Abbott Atkinson Bishop Bowen Boyd Bradley Brooks Burgess
Carr Chambers Dawson Douglas Ferris Foster Gardner Gilbert Goodwin Griffin Hanson Harvey Hawkins
Hodges Hogan Horton Irwin Jennings Kirby Lambert Little Lyons Maddox Manning Miles Morton Nicholson
Osborne Parsons Pike Quinlan Randall Riley Rowley Saunders Sheridan Skinner Spencer Steele Tucker
Vaughan Wallace Warren Watts Weston Whelan Wheeler Whitehead Wilkins Willis Yates Zappia Zammit
Borg Camilleri Vella Farrugia Azzopardi Nakhoul Tannous Chahine Aoun
"""

# Syllables combined into a long tail of rare English-looking family names (e.g. "Ashworth"), so that
# rare-name collisions stay about as rare as in a real population despite the short list above.
SURNAME_HEADS = """
Ash Black Brad Brook Car Chad Craw Dun Fair Gold Hard Hay Hol Kings Lang Mar Mid North Oak Pem Ray Red
Rock Stan Stock Thorn War Wen West Whit Wood Ald Bar Brom Cald Cran Dal Elm Fen Glad Hart Hather Kel Lin
Lock Mel Mor Pen Ridg Sal Shel Stam Sud Tal Thur Wal Wes Wick Win
"""
SURNAME_TAILS = """
ley ford well wood ton field worth by combe ham more stone bridge man ridge dale hurst borough shaw
low wick den cliffe stead thwaite gate
"""

STREET_NAMES = """
George King Queen Victoria Elizabeth Albert Church High Station Railway Park Beach Main Pacific
Parramatta Oxford Bridge Mill Market Hill Forest Ocean River Lake Wattle Banksia Acacia Jacaranda
Waratah Boronia Grevillea Melaleuca Bottlebrush Kookaburra Hume Princes Sturt Flinders Macquarie
Bourke Lonsdale Collins Swanston Hunter Pitt Castlereagh Kent Sussex Clarence York Harris Crown
Cleveland Anzac Gallipoli Federation Memorial Bay Cliff Ridge Valley Spring Rose Orchard Green Sunset
Hillcrest Bellevue Fairview Glenview Riverview Seaview Edward William Charles Henry Arthur Alfred
Wellington Nelson Marion Grange Dandenong Springvale Warrigal Canterbury Burwood Stanley Cook Banks
Phillip Hovell Mitchell Lachlan Murray Darling Torrens Yarra Brisbane Logan Gympie Stirling Canning
Albany Wanneroo Old_Northern Great_Western New_England Pennant_Hills Military Barrenjoey Pittwater
Glen_Osmond Grote Rundle Hindley Flemington Sydney Toorak Malvern Waverley Coogee Botany Bunnerong
"""

# (full, canonical abbreviation, other seen abbreviations...)
STREET_TYPES: tuple[tuple[str, ...], ...] = (
    ("Street", "St", "St.", "Str"),
    ("Road", "Rd", "Rd."),
    ("Avenue", "Ave", "Av", "Ave."),
    ("Drive", "Dr", "Drv"),
    ("Court", "Ct", "Crt"),
    ("Place", "Pl"),
    ("Crescent", "Cres", "Cr"),
    ("Parade", "Pde"),
    ("Lane", "Ln"),
    ("Close", "Cl"),
    ("Way", "Wy"),
    ("Terrace", "Tce", "Terr"),
    ("Boulevard", "Blvd"),
    ("Highway", "Hwy"),
    ("Circuit", "Cct"),
    ("Grove", "Gr"),
)
STREET_TYPE_WEIGHTS = (40, 25, 12, 8, 6, 5, 5, 3, 3, 3, 2, 2, 1, 1, 2, 2)

# state abbreviation -> (full name, telephone area digit, leading digits of local landlines)
STATES: dict[str, tuple[str, str, str]] = {
    "NSW": ("New South Wales", "2", "98"),
    "ACT": ("Australian Capital Territory", "2", "6"),
    "VIC": ("Victoria", "3", "985"),
    "TAS": ("Tasmania", "3", "6"),
    "QLD": ("Queensland", "7", "354"),
    "SA": ("South Australia", "8", "8"),
    "WA": ("Western Australia", "8", "96"),
    "NT": ("Northern Territory", "8", "8"),
}

# suburb|state|postcode|relative population weight. Some names exist in two states on purpose.
SUBURBS = """
Sydney|NSW|2000|9 Surry Hills|NSW|2010|4 Newtown|NSW|2042|4 Glebe|NSW|2037|3 Bondi|NSW|2026|4
Bondi Junction|NSW|2022|3 Randwick|NSW|2031|4 Coogee|NSW|2034|3 Marrickville|NSW|2204|4
Leichhardt|NSW|2040|3 Balmain|NSW|2041|3 Chatswood|NSW|2067|4 North Sydney|NSW|2060|3 Manly|NSW|2095|3
Dee Why|NSW|2099|3 Mosman|NSW|2088|2 Hornsby|NSW|2077|4 Ryde|NSW|2112|4 Epping|NSW|2121|3
Parramatta|NSW|2150|6 Castle Hill|NSW|2154|4 Baulkham Hills|NSW|2153|4 Blacktown|NSW|2148|6
Penrith|NSW|2750|5 Richmond|NSW|2753|2 Liverpool|NSW|2170|5 Campbelltown|NSW|2560|4 Bankstown|NSW|2200|5
Hurstville|NSW|2220|4 Cronulla|NSW|2230|3 Sutherland|NSW|2232|3 Strathfield|NSW|2135|3 Burwood|NSW|2134|3
Auburn|NSW|2144|4 Fairfield|NSW|2165|4 Cabramatta|NSW|2166|4 Wollongong|NSW|2500|5 Newcastle|NSW|2300|5
Maitland|NSW|2320|3 Gosford|NSW|2250|3 Port Macquarie|NSW|2444|2 Coffs Harbour|NSW|2450|2
Tamworth|NSW|2340|2 Orange|NSW|2800|2 Dubbo|NSW|2830|2 Wagga Wagga|NSW|2650|2 Albury|NSW|2640|2
Bathurst|NSW|2795|2 Lismore|NSW|2480|1 Byron Bay|NSW|2481|1 Queanbeyan|NSW|2620|2
Canberra|ACT|2601|4 Belconnen|ACT|2617|3 Phillip|ACT|2606|2 Greenway|ACT|2900|2 Gungahlin|ACT|2912|3
Kingston|ACT|2604|1 Braddon|ACT|2612|2 Melbourne|VIC|3000|9 Southbank|VIC|3006|3 Carlton|VIC|3053|3
Fitzroy|VIC|3065|3 Collingwood|VIC|3066|2 Richmond|VIC|3121|4 South Yarra|VIC|3141|3 Prahran|VIC|3181|2
St Kilda|VIC|3182|3 Brunswick|VIC|3056|4 Northcote|VIC|3070|3 Preston|VIC|3072|4 Footscray|VIC|3011|4
Williamstown|VIC|3016|2 Sunshine|VIC|3020|4 Werribee|VIC|3030|5 Point Cook|VIC|3030|4 Essendon|VIC|3040|3
Box Hill|VIC|3128|4 Doncaster|VIC|3108|3 Camberwell|VIC|3124|3 Hawthorn|VIC|3122|3
Glen Waverley|VIC|3150|4 Clayton|VIC|3168|3 Dandenong|VIC|3175|4 Frankston|VIC|3199|4
Mornington|VIC|3931|2 Ringwood|VIC|3134|3 Geelong|VIC|3220|5 Newtown|VIC|3220|1 Ballarat|VIC|3350|3
Bendigo|VIC|3550|3 Shepparton|VIC|3630|2 Mildura|VIC|3500|2 Traralgon|VIC|3844|2 Warrnambool|VIC|3280|1
Wodonga|VIC|3690|1 Craigieburn|VIC|3064|4 Cranbourne|VIC|3977|4 Pakenham|VIC|3810|4 Brisbane|QLD|4000|7
Fortitude Valley|QLD|4006|2 New Farm|QLD|4005|2 South Brisbane|QLD|4101|2 West End|QLD|4101|2
Toowong|QLD|4066|2 Indooroopilly|QLD|4068|2 Chermside|QLD|4032|3 Carindale|QLD|4152|2
Sunnybank|QLD|4109|3 Logan Central|QLD|4114|3 Ipswich|QLD|4305|4 Springfield|QLD|4300|3
Redcliffe|QLD|4020|3 Caboolture|QLD|4510|3 Southport|QLD|4215|4 Surfers Paradise|QLD|4217|3
Broadbeach|QLD|4218|2 Robina|QLD|4226|3 Coolangatta|QLD|4225|2 Maroochydore|QLD|4558|3
Noosa Heads|QLD|4567|2 Caloundra|QLD|4551|2 Toowoomba|QLD|4350|3 Cairns|QLD|4870|3 Townsville|QLD|4810|4
Mackay|QLD|4740|2 Rockhampton|QLD|4700|2 Bundaberg|QLD|4670|2 Hervey Bay|QLD|4655|2 Gladstone|QLD|4680|1
Adelaide|SA|5000|6 North Adelaide|SA|5006|2 Glenelg|SA|5045|2 Norwood|SA|5067|2 Unley|SA|5061|2
Prospect|SA|5082|2 Salisbury|SA|5108|3 Elizabeth|SA|5112|2 Mawson Lakes|SA|5095|2 Marion|SA|5043|2
Mount Barker|SA|5251|1 Mount Gambier|SA|5290|1 Whyalla|SA|5600|1 Victor Harbor|SA|5211|1
Perth|WA|6000|6 Northbridge|WA|6003|2 Subiaco|WA|6008|2 Fremantle|WA|6160|3 Cottesloe|WA|6011|1
Scarborough|WA|6019|2 Joondalup|WA|6027|3 Midland|WA|6056|2 Armadale|WA|6112|2 Rockingham|WA|6168|3
Mandurah|WA|6210|3 Bunbury|WA|6230|2 Geraldton|WA|6530|1 Kalgoorlie|WA|6430|1 Albany|WA|6330|1
Busselton|WA|6280|1 Victoria Park|WA|6100|2 Cannington|WA|6107|2 Hobart|TAS|7000|3 Sandy Bay|TAS|7005|1
Glenorchy|TAS|7010|1 Kingston|TAS|7050|1 Launceston|TAS|7250|2 Devonport|TAS|7310|1 Burnie|TAS|7320|1
Darwin|NT|0800|2 Palmerston|NT|0830|1 Casuarina|NT|0810|1 Alice Springs|NT|0870|1 Katherine|NT|0850|1
"""

# Personal e-mail providers and rough Australian market share.
EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("gmail.com", 38),
    ("hotmail.com", 10),
    ("outlook.com", 9),
    ("icloud.com", 8),
    ("bigpond.com", 7),
    ("yahoo.com.au", 6),
    ("optusnet.com.au", 4),
    ("live.com.au", 3),
    ("iinet.net.au", 3),
    ("yahoo.com", 3),
    ("bigpond.net.au", 2),
    ("tpg.com.au", 2),
    ("me.com", 1),
    ("protonmail.com", 1),
)
# Older providers people used to have (for "e-mail changed over time").
OLD_EMAIL_DOMAINS = ("bigpond.com", "hotmail.com", "optusnet.com.au", "yahoo.com.au", "iinet.net.au")

COMPANY_WORDS = """
Southern_Cross Pacific Harbour Coastal Summit Bluegum Red_Earth Wattle Ironbark Outback Bluewater
Golden_Wattle Northern_Star Sandstone Coral_Sea Great_Dividing Murray_River Blue_Mountains Eastern
Western Capital Metro Urban Apex Pinnacle Horizon Meridian Compass Anchor Beacon Lighthouse Keystone
Cornerstone Evergreen Greenfield Brightwater Clearwater Stonebridge Riverside Lakeside Hillside Bayside
Parkside Harbourside Sunrise Sunset Kestrel Falcon Pelican Magpie Lyrebird Platypus Echidna Wombat
Kookaburra Jacaranda Banksia Silver_Gum Redgum Southern Tasman Arafura Kimberley Nullarbor
"""
COMPANY_INDUSTRIES = """
Logistics Consulting Engineering Health Dental Legal Constructions Plumbing Electrical Accounting
Software Analytics Foods Wines Imports Mining Energy Realty Insurance Financial_Planning Media Design
Landscaping Transport Freight Pharmacy Medical_Centre Veterinary Education Childcare Fitness Cafe
Bakery Hardware Motors Marine Solar Security Cleaning_Services Property_Group Capital Partners Advisory
Labs Systems Solutions Digital Hospitality Agriculture Pastoral Timber
"""

TICKET_SUBJECTS = (
    "Can't log in",
    "Password reset not arriving",
    "Refund request",
    "Order arrived damaged",
    "Where is my order?",
    "Change delivery address",
    "Billing question",
    "Charged twice",
    "Cancel subscription",
    "Update payment method",
    "App crashes on start",
    "Feature request: export to CSV",
    "Invoice copy needed",
    "Wrong item received",
    "Account locked",
)
CAMPAIGNS = (
    "Winter sale",
    "EOFY clearance",
    "Black Friday",
    "Boxing Day",
    "Monthly newsletter",
    "Product update",
    "Welcome series",
    "We miss you",
    "Spring collection",
    "Click Frenzy",
)
FEATURES = ("dashboard", "reports", "export", "invoices", "team", "integrations", "mobile app", "search")
PAGES = ("/", "/pricing", "/products", "/sale", "/blog", "/help", "/account", "/checkout", "/contact")
CALL_TOPICS = (
    "follow-up on quote",
    "renewal discussion",
    "intro call",
    "complaint escalation",
    "account review",
    "payment reminder",
)
CHAT_TOPICS = ("delivery status", "billing question", "login help", "product question", "returns")
