// How Java 17 (the JVM Debian's ZooKeeper 3.8 runs on) renders a time in the default time zone and
// the en-US locale: Date.toString() ("Thu Nov 26 08:00:33 UTC 2026", as SnapshotFormatter prints
// ctime and mtime) and DateFormat.getDateTimeInstance(SHORT, LONG) ("11/26/26, 8:00:33 AM UTC", as
// TxnLogToolkit prints a txn's time), so our dump tools print what 3.8's print.
//
// Offsets come from the platform's time zone data (Intl), the zone abbreviation from Java's own
// names: where Intl has an en-US abbreviation (UTC, GMT, EST, PDT, ...) Java uses the same one, and
// for the zones where it has none Java's names are listed below (taken from the JDK, grouped by
// standard name, daylight name and raw offset in minutes). A zone with neither is "GMT+hh:mm".

import { civilFromEpochMs } from '../admin/java-format.js';

/** Java's short names for the zones Intl does not abbreviate: "std dst rawOffsetMinutes" → zone ids. */
const JAVA_ZONE_NAMES: Readonly<Record<string, string>> = {
  'ACST ACDT 570':
    'ACT Australia/Adelaide Australia/Broken_Hill Australia/Darwin Australia/North Australia/South ' +
    'Australia/Yancowinna',
  'ACT ACST -300': 'America/Eirunepe America/Porto_Acre America/Rio_Branco Brazil/Acre',
  'ACWST ACWDT 525': 'Australia/Eucla',
  'AEST AEDT 600':
    'AET Antarctica/Macquarie Australia/ACT Australia/Brisbane Australia/Canberra Australia/Currie ' +
    'Australia/Hobart Australia/Lindeman Australia/Melbourne Australia/NSW Australia/Queensland ' +
    'Australia/Sydney Australia/Tasmania Australia/Victoria',
  'AFT AFST 270': 'Asia/Kabul',
  'AKST AKDT -540':
    'AST America/Anchorage America/Juneau America/Metlakatla America/Nome America/Sitka America/Yakutat ' +
    'SystemV/YST9YDT US/Alaska',
  'AKST AKST -540': 'SystemV/YST9',
  'ALMT ALMST 300': 'Asia/Almaty',
  'AMT AMST -240':
    'America/Boa_Vista America/Campo_Grande America/Cuiaba America/Manaus America/Porto_Velho ' +
    'Brazil/West',
  'AMT AMST 240': 'Asia/Yerevan NET',
  'ANAT ANAST 720': 'Asia/Anadyr',
  'AQTT AQTST 300': 'Asia/Aqtau Asia/Aqtobe',
  'ART ARST -180':
    'AGT America/Argentina/Buenos_Aires America/Argentina/Catamarca America/Argentina/ComodRivadavia ' +
    'America/Argentina/Cordoba America/Argentina/Jujuy America/Argentina/La_Rioja ' +
    'America/Argentina/Mendoza America/Argentina/Rio_Gallegos America/Argentina/Salta ' +
    'America/Argentina/San_Juan America/Argentina/San_Luis America/Argentina/Tucuman ' +
    'America/Argentina/Ushuaia America/Buenos_Aires America/Catamarca America/Cordoba America/Jujuy ' +
    'America/Mendoza America/Rosario',
  'AST ADT -240': 'America/Santo_Domingo SystemV/AST4 SystemV/AST4ADT',
  'AST ADT 180': 'Asia/Aden Asia/Baghdad Asia/Bahrain Asia/Kuwait Asia/Qatar Asia/Riyadh',
  'AWST AWDT 480': 'Antarctica/Casey Australia/Perth Australia/West',
  'AZOT AZOST -60': 'Atlantic/Azores',
  'AZT AZST 240': 'Asia/Baku',
  'BDT BDST 360': 'Asia/Dacca Asia/Dhaka BST',
  'BNT BNST 480': 'Asia/Brunei',
  'BOT BOST -240': 'America/La_Paz',
  'BRT BRST -180':
    'America/Araguaina America/Bahia America/Belem America/Fortaleza America/Maceio America/Recife ' +
    'America/Santarem America/Sao_Paulo BET Brazil/East',
  'BST BST 660': 'Pacific/Bougainville',
  'BTT BTST 360': 'Asia/Thimbu Asia/Thimphu',
  'CAT CAST 120':
    'Africa/Blantyre Africa/Bujumbura Africa/Gaborone Africa/Harare Africa/Juba Africa/Khartoum ' +
    'Africa/Kigali Africa/Lubumbashi Africa/Lusaka Africa/Maputo CAT',
  'CAT WAT 60': 'Africa/Windhoek',
  'CCT CCST 390': 'Indian/Cocos',
  'CET CEST 60':
    'Africa/Algiers Africa/Ceuta Africa/Tunis Arctic/Longyearbyen Atlantic/Jan_Mayen CET ECT ' +
    'Europe/Amsterdam Europe/Andorra Europe/Belgrade Europe/Berlin Europe/Bratislava Europe/Brussels ' +
    'Europe/Budapest Europe/Busingen Europe/Copenhagen Europe/Gibraltar Europe/Ljubljana ' +
    'Europe/Luxembourg Europe/Madrid Europe/Malta Europe/Monaco Europe/Oslo Europe/Paris ' +
    'Europe/Podgorica Europe/Prague Europe/Rome Europe/San_Marino Europe/Sarajevo Europe/Skopje ' +
    'Europe/Stockholm Europe/Tirane Europe/Vaduz Europe/Vatican Europe/Vienna Europe/Warsaw ' +
    'Europe/Zagreb Europe/Zurich Poland',
  'CHAST CHADT 765': 'NZ-CHAT Pacific/Chatham',
  'CHOT CHOST 480': 'Asia/Choibalsan',
  'CHUT CHUST 600': 'Pacific/Chuuk Pacific/Truk Pacific/Yap',
  'CKT CKHST -600': 'Pacific/Rarotonga',
  'CLT CLST -180': 'Antarctica/Palmer',
  'CLT CLST -240': 'America/Santiago Chile/Continental',
  'COT COST -300': 'America/Bogota',
  'CST CDT -300': 'America/Havana Cuba',
  'CST CDT -360':
    'America/Bahia_Banderas America/Indiana/Tell_City America/Menominee America/North_Dakota/Beulah ' +
    'America/North_Dakota/Center America/North_Dakota/New_Salem America/Swift_Current SystemV/CST6 ' +
    'SystemV/CST6CDT',
  'CST CDT 480': 'Asia/Chongqing Asia/Chungking Asia/Harbin Asia/Macao Asia/Macau Asia/Shanghai Asia/Taipei CTT PRC',
  'CVT CVST -60': 'Atlantic/Cape_Verde',
  'CXT CXST 420': 'Indian/Christmas',
  'ChST ChDT 600': 'Pacific/Guam Pacific/Saipan',
  'DAVT DAVST 420': 'Antarctica/Davis',
  'DDUT DDUST 600': 'Antarctica/DumontDUrville',
  'EAST EASST -360': 'Chile/EasterIsland Pacific/Easter',
  'EAT EAST 180':
    'Africa/Addis_Ababa Africa/Asmara Africa/Asmera Africa/Dar_es_Salaam Africa/Djibouti Africa/Kampala ' +
    'Africa/Mogadishu Africa/Nairobi EAT Indian/Antananarivo Indian/Comoro Indian/Mayotte',
  'ECT ECST -300': 'America/Guayaquil',
  'EET EEST 120':
    'ART Africa/Cairo Africa/Tripoli Asia/Beirut Asia/Famagusta Asia/Gaza Asia/Hebron Asia/Nicosia EET ' +
    'Egypt Europe/Athens Europe/Bucharest Europe/Chisinau Europe/Helsinki Europe/Kaliningrad Europe/Kiev ' +
    'Europe/Kyiv Europe/Mariehamn Europe/Nicosia Europe/Riga Europe/Sofia Europe/Tallinn Europe/Tiraspol ' +
    'Europe/Uzhgorod Europe/Vilnius Europe/Zaporozhye Libya',
  'EET EEST 180': 'Asia/Amman Asia/Damascus',
  'EGT EGST -120': 'America/Scoresbysund',
  'EST EDT -300': 'America/Cancun America/Indiana/Petersburg America/Kentucky/Monticello SystemV/EST5 SystemV/EST5EDT',
  'FJT FJST 720': 'Pacific/Fiji',
  'FKT FKST -180': 'Atlantic/Stanley',
  'FNT FNST -120': 'America/Noronha Brazil/DeNoronha',
  'GALT GALST -360': 'Pacific/Galapagos',
  'GAMT GAMST -540': 'Pacific/Gambier',
  'GET GEST 240': 'Asia/Tbilisi',
  'GFT GFST -180': 'America/Cayenne',
  'GILT GILST 720': 'Pacific/Tarawa',
  'GMT BST 0': 'Europe/Belfast Europe/Guernsey Europe/Isle_of_Man Europe/Jersey Europe/London GB GB-Eire',
  'GMT CEST 0': 'Antarctica/Troll',
  'GMT GMT 0': 'Africa/Bissau Africa/Monrovia America/Danmarkshavn Etc/GMT GMT GMT0',
  'GMT IST 0': 'Eire Europe/Dublin',
  'GMT+13:00 GMT+13:00 780': 'Pacific/Kanton',
  'GST GDT -120': 'Atlantic/South_Georgia',
  'GST GDT 240': 'Asia/Dubai Asia/Muscat',
  'GYT GYST -240': 'America/Guyana',
  'HAST HADT -600': 'America/Adak America/Atka Pacific/Johnston US/Aleutian',
  'HKT HKST 480': 'Asia/Hong_Kong Hongkong',
  'HOVT HOVST 420': 'Asia/Hovd',
  'HST HDT -600': 'SystemV/HST10',
  'ICT ICST 420': 'Asia/Bangkok Asia/Ho_Chi_Minh Asia/Phnom_Penh Asia/Saigon Asia/Vientiane VST',
  'IOT IOST 360': 'Indian/Chagos',
  'IRKT IRKST 480': 'Asia/Irkutsk',
  'IRST IRDT 210': 'Asia/Tehran Iran',
  'IST IDT 120': 'Asia/Jerusalem Asia/Tel_Aviv Israel',
  'IST IDT 330': 'Asia/Calcutta Asia/Colombo Asia/Kolkata IST',
  'JST JDT 540': 'Asia/Tokyo JST Japan',
  'KGT KGST 360': 'Asia/Bishkek',
  'KOST KOSST 660': 'Pacific/Kosrae',
  'KRAT KRAST 420': 'Asia/Krasnoyarsk Asia/Novokuznetsk',
  'KST KDT 540': 'Asia/Pyongyang Asia/Seoul ROK',
  'LHST LHDT 630': 'Australia/LHI Australia/Lord_Howe',
  'LINT LINST 840': 'Pacific/Kiritimati',
  'MAGT MAGST 660': 'Asia/Magadan',
  'MART MARST -570': 'Pacific/Marquesas',
  'MAWT MAWST 300': 'Antarctica/Mawson',
  'MET MEST 60': 'MET',
  'MHT MHST 720': 'Kwajalein Pacific/Kwajalein Pacific/Majuro',
  'MMT MMST 390': 'Asia/Rangoon Asia/Yangon',
  'MSK MSD 180': 'Europe/Kirov Europe/Minsk Europe/Moscow Europe/Simferopol Europe/Volgograd W-SU',
  'MST MDT -420':
    'America/Ciudad_Juarez America/Dawson America/Dawson_Creek America/Fort_Nelson America/Hermosillo ' +
    'America/Inuvik America/Mazatlan America/Whitehorse Canada/Yukon Mexico/BajaSur SystemV/MST7 ' +
    'SystemV/MST7MDT',
  'MUT MUST 240': 'Indian/Mauritius',
  'MVT MVST 300': 'Indian/Maldives',
  'MYT MYST 480': 'Asia/Kuala_Lumpur Asia/Kuching',
  'NCT NCST 660': 'Pacific/Noumea',
  'NFT NFST 660': 'Pacific/Norfolk',
  'NOVT NOVST 420': 'Asia/Novosibirsk',
  'NPT NPST 345': 'Asia/Kathmandu Asia/Katmandu',
  'NRT NRST 720': 'Pacific/Nauru',
  'NST NDT -210': 'America/St_Johns CNT Canada/Newfoundland',
  'NUT NUST -660': 'Pacific/Niue',
  'NZST NZDT 720': 'Antarctica/McMurdo Antarctica/South_Pole NST NZ Pacific/Auckland',
  'OMST OMSST 360': 'Asia/Omsk',
  'ORAT ORAST 300': 'Asia/Oral',
  'PET PEST -300': 'America/Lima',
  'PETT PETST 720': 'Asia/Kamchatka',
  'PGT PGST 600': 'Pacific/Port_Moresby',
  'PHOT PHOST 780': 'Pacific/Enderbury',
  'PKT PKST 300': 'Asia/Karachi PLT',
  'PMST PMDT -180': 'America/Miquelon',
  'PONT PONST 660': 'Pacific/Pohnpei Pacific/Ponape',
  'PST PDT -480': 'Pacific/Pitcairn SystemV/PST8PDT',
  'PST PDT 480': 'Asia/Manila',
  'PST PST -480': 'SystemV/PST8',
  'PWT PWST 540': 'Pacific/Palau',
  'PYT PYST -180': 'America/Asuncion',
  'QOST QOSST 300': 'Asia/Qostanay',
  'QYZT QYZST 300': 'Asia/Qyzylorda',
  'RET REST 240': 'Indian/Reunion',
  'ROTT ROTST -180': 'Antarctica/Rothera',
  'SAKT SAKST 660': 'Asia/Sakhalin',
  'SAMT SAMST 240': 'Europe/Samara',
  'SAST SAST 120': 'Africa/Johannesburg Africa/Maseru Africa/Mbabane',
  'SBT SBST 660': 'Pacific/Guadalcanal SST',
  'SCT SCST 240': 'Indian/Mahe',
  'SGT SGST 480': 'Asia/Singapore Singapore',
  'SRET SREDT 660': 'Asia/Srednekolymsk',
  'SRT SRST -180': 'America/Paramaribo',
  'SST SDT -660': 'Pacific/Midway Pacific/Pago_Pago Pacific/Samoa US/Samoa',
  'SYOT SYOST 180': 'Antarctica/Syowa',
  'TAHT TAHST -600': 'Pacific/Tahiti',
  'TFT TFST 300': 'Indian/Kerguelen',
  'TJT TJST 300': 'Asia/Dushanbe',
  'TKT TKST 780': 'Pacific/Fakaofo',
  'TLT TLST 540': 'Asia/Dili',
  'TMT TMST 300': 'Asia/Ashgabat Asia/Ashkhabad',
  'TOT TOST 780': 'Pacific/Tongatapu',
  'TRT TRST 180': 'Asia/Istanbul Europe/Istanbul Turkey',
  'TVT TVST 720': 'Pacific/Funafuti',
  'ULAT ULAST 480': 'Asia/Ulaanbaatar Asia/Ulan_Bator',
  'UYT UYST -180': 'America/Montevideo',
  'UZT UZST 300': 'Asia/Samarkand Asia/Tashkent',
  'VET VEST -240': 'America/Caracas',
  'VLAT VLAST 600': 'Asia/Ust-Nera Asia/Vladivostok',
  'VOST VOSST 300': 'Antarctica/Vostok',
  'VUT VUST 660': 'Pacific/Efate',
  'WAKT WAKST 720': 'Pacific/Wake',
  'WAT WAST 60':
    'Africa/Bangui Africa/Brazzaville Africa/Douala Africa/Kinshasa Africa/Lagos Africa/Libreville ' +
    'Africa/Luanda Africa/Malabo Africa/Ndjamena Africa/Niamey Africa/Porto-Novo',
  'WET WEST 0':
    'Africa/Casablanca Africa/El_Aaiun Atlantic/Canary Atlantic/Faeroe Atlantic/Faroe Atlantic/Madeira ' +
    'Europe/Lisbon Portugal WET',
  'WFT WFST 720': 'Pacific/Wallis',
  'WGT WGST -120': 'America/Godthab America/Nuuk',
  'WIB WIST 420': 'Asia/Jakarta Asia/Pontianak',
  'WIT EIST 540': 'Asia/Jayapura',
  'WITA CIST 480': 'Asia/Makassar Asia/Ujung_Pandang',
  'WSST WSDT 780': 'MIT Pacific/Apia',
  'XJT XJDT 360': 'Asia/Kashgar Asia/Urumqi',
  'YAKT YAKST 540': 'Asia/Chita Asia/Khandyga Asia/Yakutsk',
  'YEKT YEKST 300': 'Asia/Yekaterinburg',
};

interface ZoneNames {
  readonly standard: string;
  readonly daylight: string;
  readonly rawOffsetMinutes: number;
}

let namesByZone: Map<string, ZoneNames> | undefined;

function javaNamesOf(zone: string): ZoneNames | undefined {
  if (namesByZone === undefined) {
    namesByZone = new Map();
    for (const [key, zones] of Object.entries(JAVA_ZONE_NAMES)) {
      const [standard = '', daylight = '', raw = '0'] = key.split(' ');
      const names = { standard, daylight, rawOffsetMinutes: Number(raw) };
      for (const id of zones.split(' ')) namesByZone.set(id, names);
    }
  }
  return namesByZone.get(zone);
}

/** A time zone as a Java program sees it: the offset and the short name at each instant. */
export interface JavaTimeZone {
  readonly id: string;
  /** Minutes east of UTC at the instant. */
  offsetMinutes(epochMs: number): number;
  /** What Java's "z" pattern (and Date.toString) prints at the instant. */
  shortName(epochMs: number): string;
}

const MS_PER_MINUTE = 60_000;
/** Zone transitions fall on quarter hours, so offsets and names are cached per quarter hour. */
const CACHE_BUCKET_MS = 15 * MS_PER_MINUTE;
/** The range of instants a JavaScript Date (and so Intl) can represent. */
const MAX_DATE_MS = 8.64e15;

function gmtOffsetName(minutes: number): string {
  if (minutes === 0) return 'GMT';
  const abs = Math.abs(minutes);
  const hours = Math.floor(abs / 60).toString().padStart(2, '0');
  const mins = (abs % 60).toString().padStart(2, '0');
  return `GMT${minutes < 0 ? '-' : '+'}${hours}:${mins}`;
}

class IntlJavaTimeZone implements JavaTimeZone {
  readonly id: string;
  readonly #offsetFormat: Intl.DateTimeFormat;
  readonly #nameFormat: Intl.DateTimeFormat;
  readonly #longNameFormat: Intl.DateTimeFormat;
  readonly #javaNames: ZoneNames | undefined;
  readonly #offsets = new Map<number, number>();
  readonly #names = new Map<number, string>();

  constructor(id: string) {
    this.#offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: id, timeZoneName: 'longOffset' });
    this.#nameFormat = new Intl.DateTimeFormat('en-US', { timeZone: id, timeZoneName: 'short' });
    this.#longNameFormat = new Intl.DateTimeFormat('en-US', { timeZone: id, timeZoneName: 'long' });
    this.id = this.#offsetFormat.resolvedOptions().timeZone;
    this.#javaNames = javaNamesOf(this.id) ?? javaNamesOf(id);
  }

  offsetMinutes(epochMs: number): number {
    if (!(Math.abs(epochMs) <= MAX_DATE_MS)) return 0;
    const bucket = Math.floor(epochMs / CACHE_BUCKET_MS);
    const cached = this.#offsets.get(bucket);
    if (cached !== undefined) return cached;
    const text = this.#part(this.#offsetFormat, epochMs);
    const match = /^GMT(?:([+-])(\d\d):(\d\d)(?::\d\d)?)?$/u.exec(text);
    let minutes = 0;
    if (match?.[1] !== undefined) minutes = (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
    this.#offsets.set(bucket, minutes);
    return minutes;
  }

  shortName(epochMs: number): string {
    if (!(Math.abs(epochMs) <= MAX_DATE_MS)) return 'GMT';
    const bucket = Math.floor(epochMs / CACHE_BUCKET_MS);
    const cached = this.#names.get(bucket);
    if (cached !== undefined) return cached;
    const name = this.#computeName(epochMs);
    this.#names.set(bucket, name);
    return name;
  }

  #computeName(epochMs: number): string {
    const offset = this.offsetMinutes(epochMs);
    const names = this.#javaNames;
    if (names !== undefined) {
      return this.#isDaylightTime(epochMs, offset, names) ? names.daylight : names.standard;
    }
    const short = this.#part(this.#nameFormat, epochMs);
    return /^[A-Z]{2,5}$/u.test(short) ? short : gmtOffsetName(offset);
  }

  /**
   * Whether the instant is in daylight (summer) time: as the zone data says where Intl names it
   * ("Central European Summer Time"), else an offset above the year's standard one (the lower of
   * January's and July's, or Java's raw offset when that is lower still).
   */
  #isDaylightTime(epochMs: number, offset: number, names: ZoneNames): boolean {
    const long = this.#part(this.#longNameFormat, epochMs);
    // Ireland's summer time is its standard time in the zone data, and Java's "IST" is the daylight name.
    if (long === 'Irish Standard Time') return true;
    const year = civilFromEpochMs(epochMs + offset * MS_PER_MINUTE).year;
    const january = this.offsetMinutes(Date.UTC(year, 0, 1));
    const july = this.offsetMinutes(Date.UTC(year, 6, 1));
    // British summer time all year round (British Standard Time, 1968-71) is standard time to Java.
    if (names.daylight === 'BST' && january === offset && july === offset) return false;
    if (!long.startsWith('GMT')) return /\b(Daylight|Summer)\b/u.test(long);
    return offset > Math.min(january, july, names.rawOffsetMinutes);
  }

  #part(format: Intl.DateTimeFormat, epochMs: number): string {
    return format.formatToParts(epochMs).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  }
}

/** The zone with this IANA id (as TZ names it); throws RangeError for an id Intl does not know. */
export function javaTimeZone(id: string): JavaTimeZone {
  return new IntlJavaTimeZone(id);
}

/** The process's default time zone (TZ, else the system's), as the JVM would pick it up. */
export function defaultJavaTimeZone(): JavaTimeZone {
  return new IntlJavaTimeZone(new Intl.DateTimeFormat().resolvedOptions().timeZone);
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const pad2 = (n: number): string => n.toString().padStart(2, '0');

function localFields(epochMs: bigint | number, zone: JavaTimeZone): { ms: number; civil: ReturnType<typeof civilFromEpochMs> } {
  const ms = Number(epochMs);
  return { ms, civil: civilFromEpochMs(ms + zone.offsetMinutes(ms) * MS_PER_MINUTE) };
}

/** `new Date(epochMs).toString()`: "EEE MMM dd HH:mm:ss zzz yyyy". */
export function javaDateToString(epochMs: bigint | number, zone: JavaTimeZone): string {
  const { ms, civil: c } = localFields(epochMs, zone);
  const day = DAY_NAMES[c.weekday] ?? 'Sun';
  const month = MONTH_NAMES[c.month - 1] ?? 'Jan';
  return `${day} ${month} ${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)} ${zone.shortName(ms)} ${c.year}`;
}

/** `DateFormat.getDateTimeInstance(SHORT, LONG)` in en-US: "M/d/yy, h:mm:ss a z". */
export function javaShortDateLongTime(epochMs: bigint | number, zone: JavaTimeZone): string {
  const { ms, civil: c } = localFields(epochMs, zone);
  const yy = pad2(((c.year % 100) + 100) % 100);
  const hour12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
  const amPm = c.hour < 12 ? 'AM' : 'PM';
  return `${c.month}/${c.day}/${yy}, ${hour12}:${pad2(c.minute)}:${pad2(c.second)} ${amPm} ${zone.shortName(ms)}`;
}

/** `DateFormat.getDateTimeInstance()` (MEDIUM, MEDIUM) in en-US: "MMM d, y, h:mm:ss a", as PurgeTxnLog prints. */
export function javaMediumDateTime(epochMs: bigint | number, zone: JavaTimeZone): string {
  const { civil: c } = localFields(epochMs, zone);
  const month = MONTH_NAMES[c.month - 1] ?? 'Jan';
  const hour12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
  const amPm = c.hour < 12 ? 'AM' : 'PM';
  return `${month} ${c.day}, ${c.year}, ${hour12}:${pad2(c.minute)}:${pad2(c.second)} ${amPm}`;
}
