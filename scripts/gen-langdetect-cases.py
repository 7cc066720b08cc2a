#!/usr/bin/python3
"""gen-langdetect-cases.py: writes the expected outputs that
tests/unit/test_langdetect.c checks verif's langdetect port against.

Run with Debian's /usr/bin/python3 (it has python3-langdetect 1.0.9) from the
repository root:  /usr/bin/python3 scripts/gen-langdetect-cases.py
It writes tests/data/langdetect/{mt,cases,fuzz,ifeval}.jsonl; the C test reads
only these files and never needs Python.
"""
import json
import os
import random
import sys
import unicodedata

import langdetect
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILES = os.path.join(ROOT, 'data', 'langdetect', 'profiles')
OUT = os.path.join(ROOT, 'tests', 'data', 'langdetect')
IFEVAL_NAME = 'input_response_data_gpt4_20231107_145030.jsonl'
IFEVAL = os.environ.get('IFEVAL_RESPONSES', os.path.join(
    ROOT, 'data', 'ifeval', IFEVAL_NAME))


def sorted_factory():
    """A factory whose languages are in sorted file-name order (verif's)."""
    factory = DetectorFactory()
    texts = []
    for name in sorted(os.listdir(PROFILES)):
        with open(os.path.join(PROFILES, name), encoding='utf-8') as f:
            texts.append(f.read())
    factory.load_json_profile(texts)
    factory.set_seed(0)
    return factory


FACTORY = sorted_factory()
DetectorFactory.seed = 0  # the stock detect() below, in os.listdir order


def detect_sorted(text):
    det = FACTORY.create()
    det.append(text)
    try:
        return det.detect()
    except LangDetectException:
        return 'ERR'


def detect_stock(text):
    try:
        return langdetect.detect(text)
    except LangDetectException:
        return 'ERR'


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return '%016x' % h


# ---- raw Mersenne Twister outputs ------------------------------------------

def mt_records():
    recs = []
    for seed in [0, 1, 42, -5, 2**32 - 1, 2**32, 123456789012345]:
        r = random.Random(seed)
        recs.append({'op': 'u32', 'seed': seed, 'skip': 0,
                     'values': [r.getrandbits(32) for _ in range(8)]})
    r = random.Random(0)
    for _ in range(1240):
        r.getrandbits(32)
    recs.append({'op': 'u32', 'seed': 0, 'skip': 1240,
                 'values': [r.getrandbits(32) for _ in range(8)]})
    r = random.Random(0)
    recs.append({'op': 'random', 'seed': 0,
                 'values': [r.random().hex() for _ in range(8)]})
    r = random.Random(0)
    recs.append({'op': 'gauss', 'seed': 0,
                 'values': [r.gauss(0.0, 1.0).hex() for _ in range(11)]})
    ns = [1, 2, 3, 4, 5, 7, 8, 100, 1000, 12345, 30000, 65537, 2**31 + 1]
    r = random.Random(0)
    recs.append({'op': 'below', 'seed': 0, 'n': ns,
                 'values': [r.choice(range(n)) for n in ns]})
    # langdetect's own pattern: a gauss, then choices, seven times over
    r = random.Random(0)
    vals = []
    for t in range(7):
        vals.append(r.gauss(0.0, 1.0).hex())
        vals.extend(r.choice(range(1234)) for _ in range(3 + t))
    recs.append({'op': 'mixed', 'seed': 0, 'n': 1234, 'values': vals})
    return recs


# ---- hand-written cases ------------------------------------------------------

DMARKS = '\u0300\u0301\u0303\u0309\u0323'


def vi_split(text):
    """Precomposed base letter + separate tone mark: what normalize_vi joins."""
    out = []
    for ch in text:
        d = unicodedata.normalize('NFD', ch)
        if len(d) >= 2 and d[-1] in DMARKS:
            out.append(unicodedata.normalize('NFC', d[:-1]) + d[-1])
        else:
            out.append(ch)
    return ''.join(out)


VI = 'Tôi yêu tiếng Việt vì nó rất đẹp và phong phú, người Việt Nam rất hiếu khách.'
EN = ('The quick brown fox jumps over the lazy dog while the farmer watches '
      'from the porch and thinks about the weather. ')
RU = 'Быстрая коричневая лиса прыгает через ленивую собаку, а фермер смотрит с крыльца. '

CASES = [
    ('en', EN),
    ('fr', "Le renard brun rapide saute par-dessus le chien paresseux pendant que le fermier regarde depuis le porche."),
    ('de', 'Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer von der Veranda aus zuschaut.'),
    ('es', 'El rápido zorro marrón salta sobre el perro perezoso mientras el granjero mira desde el porche.'),
    ('it', 'La volpe marrone veloce salta sopra il cane pigro mentre il contadino guarda dal portico.'),
    ('nl', 'De snelle bruine vos springt over de luie hond terwijl de boer vanaf de veranda toekijkt.'),
    ('pl', 'Szybki brązowy lis przeskakuje nad leniwym psem, a rolnik patrzy z ganku.'),
    ('tr', 'Hızlı kahverengi tilki tembel köpeğin üzerinden atlarken çiftçi verandadan izliyor. İstanbul çok güzel.'),
    ('ro_comma_below', 'Aceasta este o propoziție în limba română și este scrisă corect, cu diacritice ș și ț.'),
    ('ru', RU),
    ('uk', 'Швидка руда лисиця перестрибує через ледачого пса, а фермер дивиться з ґанку.'),
    ('bg', 'Бързата кафява лисица прескача мързеливото куче, докато фермерът гледа от верандата.'),
    ('el', 'Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο ενώ ο αγρότης κοιτάζει.'),
    ('el_caps', 'Η ΑΘΗΝΑ ΕΙΝΑΙ Η ΠΡΩΤΕΥΟΥΣΑ ΤΗΣ ΕΛΛΑΔΑΣ'),
    ('ar', 'الثعلب البني السريع يقفز فوق الكلب الكسول بينما يراقب المزارع من الشرفة.'),
    ('fa_yeh', 'این یک متن فارسی است که برای آزمایش نوشته شده است و کلمات زیادی دارد.'),
    ('ur', 'یہ ایک اردو جملہ ہے جو زبان کی شناخت کی جانچ کے لیے لکھا گیا ہے۔'),
    ('he', 'השועל החום המהיר קופץ מעל הכלב העצלן בזמן שהחקלאי מביט מהמרפסת.'),
    ('hi', 'तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है जबकि किसान बरामदे से देखता है।'),
    ('mr', 'मी मराठी भाषेत लिहित आहे आणि ही भाषा महाराष्ट्रात बोलली जाते.'),
    ('bn', 'আমি বাংলায় কথা বলি এবং এই ভাষা খুব সুন্দর।'),
    ('ta', 'நான் தமிழ் பேசுகிறேன், இது ஒரு அழகான மொழி.'),
    ('th', 'สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจขณะที่ชาวนามองจากระเบียง'),
    ('zh_cn', '我们今天去公园散步，天气非常好，大家都很开心。'),
    ('zh_tw', '我們今天去公園散步，天氣非常好，大家都很開心。'),
    ('ja', '今日はとても良い天気ですね。散歩に行きましょう。'),
    ('ja_katakana', 'コンピュータ ソフトウェア インターネット'),
    ('ko', '오늘은 날씨가 정말 좋네요. 산책하러 갈까요?'),
    ('bopomofo', 'ㄅㄆㄇㄈ 注音符號 ㆠㆡ'),
    ('vi', VI),
    ('vi_tone_marks_split', vi_split(VI)),
    ('vi_nfd', unicodedata.normalize('NFD', VI)),
    ('latin_ext_additional', 'Ḥabīb ḍaraba ṭifl ẓālim ṣabāḥ ẞ ỹ'),
    # Python's Latin Extended Additional exemption in cleaning_text never
    # fires (it compares a block number with a name): these count as
    # non-Latin, so "abc" is dropped
    ('lea_counts_as_non_latin', 'Ạ ạ ả ấ ầ ẩ ẫ ậ ắ ằ ẳ abc'),
    ('latin1_excluded', '«Bonjour» à tous, il fait 20° aujourd’hui — n’est-ce pas ?'),
    ('urls', 'Visit https://www.example.com/path?x=1&y=2#top and http://foo.bar/baz for more information about this project.'),
    ('url_only', 'https://example.com/a/b/c?d=e'),
    ('not_urls', 'httpd is a server; https: is not a link, nor is http:/x or https:// alone, hhttp://x.y'),
    ('emails', 'Contact john.doe@example.com or jane_doe@mail.example.org for details about the meeting tomorrow.'),
    ('email_only', 'someone@example.com'),
    ('email_edges', 'a@b x@yy ' + 'k' * 70 + '@host.example q@w. z@-. foo@bar.baz@zap.com user@' + 'd' * 300 + '.org'),
    ('all_caps', 'THIS IS ALL CAPS TEXT WRITTEN TO TEST THE CAPITAL WORD RULE OF THE DETECTOR'),
    ('mixed_caps', 'iPhone McDonald NASA USA OK eBay AbCdEf'),
    ('digits_only', '1234567890 42 3.14159 2024-01-01'),
    ('empty', ''),
    ('punctuation_only', '!!! ??? ... --- ,,, ;;; *** ### @@@'),
    ('whitespace_only', '   \n\t  \r\n '),
    ('long_cap', (EN * 80)[:10500] + RU * 200),
    ('spaces_past_cap', ' ' * 12000 + 'hello world this is english'),
    ('squeeze', 'word     word\t\tword \n  word  ' * 20),
    ('mixed_mostly_cyrillic', 'Это текст на русском языке with some English words внутри предложения'),
    ('mixed_mostly_latin', 'This is English text with a few русских слов inside of it'),
    ('emoji', 'I love pizza 🍕🍕🍕 and pasta 🍝 with friends 😀'),
    ('hello_world_cjk', 'Hello 世界'),
    ('single_a', 'a'),
    ('single_A', 'A'),
    ('short_ja', 'ja'),
    ('nul_inside', '\u0000abc def\u0000ghi'),
    ('crlf_tabs', 'Line one\r\nLine two\twith tabs\r\nand a third line here'),
]


# ---- random mixtures: URL/e-mail fragments, marks, scripts, case ------------

FUZZ_PIECES = [
    'http://', 'https://', 'http', '@', '.', '-', '_', 'a', 'Z', 'q', ' ', ' ',
    '  ', '\n', '\t', '7', '#', '?', '&', '~', '/', '=', 'e\u0301', 'A\u0300',
    '\u00e2\u0303', '\u01b0\u0323', 'y\u0309', 'o\u0302\u0301', '\u0301',
    '\u0323', '中', '国', '語', '亜', 'あ', 'ア', 'ㄅ', 'ㆠ', '한', '글', 'ᄀ',
    'д', 'Ж', 'Ω', 'α', 'ß', 'É', '«', '°', '»', '\u00a0', '\u2019',
    '\u2014', 'ș', 'ț', 'ی', 'ḥ', 'Ạ', 'ỹ', 'ẞ', '😀', '𠀀', 'the', 'and',
    'ING', 'THE', 'Hello', 'WORLD', 'xY', 'İ', 'ǅ', 'Ⅻ', 'ⓐ', 'Ⓐ', '\u0000',
    '\r', 'ﬀ', 'ｱ', 'Ａ']
FUZZ_WORDS = ['the', 'quick', 'brown', 'fox', 'der', 'und', 'la', 'el', 'это',
              'и', 'как', '我们', '天気', 'です', '안녕', 'Việt', 'người',
              'naïve', 'über', 'être']


def fuzz_records(count=300, seed=20231107):
    rng = random.Random(seed)
    recs = []
    for i in range(count):
        parts = []
        for _ in range(rng.choice([1, 3, 10, 30, 60])):
            if rng.random() < 0.5:
                parts.append(rng.choice(FUZZ_PIECES))
            else:
                parts.append(rng.choice(FUZZ_WORDS) +
                             rng.choice([' ', ' ', '@', '.', '-', ',', '']))
        text = ''.join(parts)
        recs.append({'name': 'fuzz%d' % i, 'text': text,
                     'lang': detect_sorted(text)})
    return recs


def write_jsonl(path, records):
    with open(path, 'w', encoding='utf-8') as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + '\n')


def case_records():
    recs, differ = [], 0
    for name, text in CASES:
        rec = {'name': name, 'text': text, 'lang': detect_sorted(text)}
        stock = detect_stock(text)
        if stock != rec['lang']:
            rec['stock'] = stock
            differ += 1
        recs.append(rec)
    return recs, differ


def ifeval_variants(response):
    """IFEval's eight loose variants, in its order."""
    r = response.split('\n')
    first = '\n'.join(r[1:]).strip()
    last = '\n'.join(r[:-1]).strip()
    both = '\n'.join(r[1:-1]).strip()
    return [response, response.replace('*', ''), first, last, both,
            first.replace('*', ''), last.replace('*', ''),
            both.replace('*', '')]


def ifeval_records():
    recs, seen, differ = [], set(), 0
    with open(IFEVAL, encoding='utf-8') as f:
        for line_no, line in enumerate(f):
            response = json.loads(line)['response']
            for k, text in enumerate(ifeval_variants(response)):
                if text in seen:
                    continue
                seen.add(text)
                data = text.encode('utf-8')
                rec = {'line': line_no, 'variant': k, 'len': len(data),
                       'fnv1a64': fnv1a64(data), 'lang': detect_sorted(text)}
                stock = detect_stock(text)
                if stock != rec['lang']:
                    rec['stock'] = stock
                    differ += 1
                recs.append(rec)
    return recs, differ


def main():
    os.makedirs(OUT, exist_ok=True)
    write_jsonl(os.path.join(OUT, 'mt.jsonl'), mt_records())
    cases, cdiff = case_records()
    write_jsonl(os.path.join(OUT, 'cases.jsonl'), cases)
    write_jsonl(os.path.join(OUT, 'fuzz.jsonl'), fuzz_records())
    ifeval, idiff = ifeval_records()
    write_jsonl(os.path.join(OUT, 'ifeval.jsonl'), ifeval)
    print('cases: %d (%d differ from stock os.listdir order)' % (len(cases), cdiff))
    print('ifeval variants: %d distinct (%d differ from stock os.listdir order)'
          % (len(ifeval), idiff))
    return 0


if __name__ == '__main__':
    sys.exit(main())
