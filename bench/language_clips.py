"""Spoken clips in several languages for the language-detection bench: espeak-ng reads sentences
one at a time (single sentences) or several in turn with two voices and pauses (call-like
stretches of 20-60 s), at different speeds, some sent through an 8 kHz mu-law telephone line.

Every clip is 16 kHz float32 mono, the rate the detector hears.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass

import numpy as np

RATE = 16_000

SENTENCES = {
    "hi": (
        "नमस्ते, मेरा नाम राहुल है।",
        "मैं आपकी कैसे मदद कर सकता हूँ?",
        "मेरा ऑर्डर अभी तक नहीं आया है।",
        "आपका पार्सल गोदाम में रुका हुआ था, वह शुक्रवार को पहुँच जाएगा।",
        "क्या आप मुझे ईमेल पर ट्रैकिंग लिंक भेज सकते हैं?",
        "मेरे बिल में दो बार पैसे काटे गए हैं।",
        "हम आज ही आपका पैसा वापस कर देंगे।",
        "इंटरनेट कल शाम से बंद है और राउटर की बत्ती लाल है।",
        "हमारा इंजीनियर कल सुबह दस बजे आपके घर आएगा।",
        "मुझे अपना पासवर्ड बदलना है, लेकिन कोड नहीं आ रहा।",
        "आपके खाते में पाँच सौ रुपये बाकी हैं।",
        "क्या मैं आपको थोड़ी देर के लिए होल्ड पर रख सकता हूँ?",
    ),
    "ur": (
        "السلام علیکم، میرا نام علی ہے۔",
        "میں آپ کی کیا مدد کر سکتا ہوں؟",
        "میرا آرڈر ابھی تک نہیں پہنچا۔",
        "آپ کا پارسل جمعہ کو پہنچ جائے گا۔",
        "میرے بل میں دو بار پیسے کاٹے گئے ہیں۔",
        "ہم آج ہی آپ کے پیسے واپس کر دیں گے۔",
        "انٹرنیٹ کل شام سے بند ہے۔",
        "ہمارا انجینئر کل صبح دس بجے آئے گا۔",
        "مجھے اپنا پاس ورڈ بدلنا ہے۔",
        "انتظار کرنے کا شکریہ، آپ کا مسئلہ حل ہو گیا ہے۔",
    ),
    "en": (
        "Thank you for calling, how can I help you today?",
        "My internet has been down since yesterday evening.",
        "Could you read me the account number on your bill?",
        "The engineer will visit your house tomorrow morning.",
        "I was charged twice for the same month.",
        "Your refund should arrive within five working days.",
        "Can I put you on hold for a moment?",
        "I would like to change the password on my account.",
        "The parcel is waiting at the local depot.",
        "Is there anything else I can help you with?",
    ),
    "es": (
        "Gracias por llamar, ¿en qué puedo ayudarle hoy?",
        "Mi pedido todavía no ha llegado a casa.",
        "¿Me puede dar su número de cliente, por favor?",
        "El técnico irá a su casa mañana por la mañana.",
        "Me cobraron dos veces el mismo mes.",
        "Le devolveremos el dinero en cinco días hábiles.",
        "¿Puedo ponerle en espera un momento?",
        "Quiero cambiar la contraseña de mi cuenta.",
        "El paquete está en el almacén de su ciudad.",
        "¿Hay algo más en lo que pueda ayudarle?",
    ),
    "fr": (
        "Merci de votre appel, comment puis-je vous aider aujourd'hui ?",
        "Ma commande n'est toujours pas arrivée.",
        "Pouvez-vous me donner votre numéro de client, s'il vous plaît ?",
        "Le technicien passera chez vous demain matin.",
        "J'ai été prélevé deux fois pour le même mois.",
        "Vous serez remboursé sous cinq jours ouvrés.",
        "Puis-je vous mettre en attente un instant ?",
        "Je voudrais changer le mot de passe de mon compte.",
        "Le colis vous attend au bureau de poste.",
        "Puis-je faire autre chose pour vous ?",
    ),
    "de": (
        "Vielen Dank für Ihren Anruf, wie kann ich Ihnen helfen?",
        "Meine Bestellung ist immer noch nicht angekommen.",
        "Können Sie mir bitte Ihre Kundennummer nennen?",
        "Der Techniker kommt morgen früh zu Ihnen nach Hause.",
        "Mir wurde derselbe Monat zweimal abgebucht.",
        "Sie bekommen Ihr Geld innerhalb von fünf Werktagen zurück.",
        "Darf ich Sie kurz in die Warteschleife legen?",
        "Ich möchte das Passwort für mein Konto ändern.",
        "Das Paket liegt in der Filiale zur Abholung bereit.",
        "Kann ich sonst noch etwas für Sie tun?",
    ),
    "pt": (
        "Obrigado por ligar, como posso ajudar hoje?",
        "A minha encomenda ainda não chegou.",
        "Pode dizer-me o seu número de cliente, por favor?",
        "O técnico vai a sua casa amanhã de manhã.",
        "Cobraram-me duas vezes o mesmo mês.",
        "O reembolso chega dentro de cinco dias úteis.",
        "Posso colocá-lo em espera um momento?",
        "Quero mudar a palavra-passe da minha conta.",
        "A encomenda está à sua espera nos correios.",
        "Posso ajudar em mais alguma coisa?",
    ),
    "ru": (
        "Спасибо за звонок, чем я могу вам помочь?",
        "Мой заказ до сих пор не пришёл.",
        "Назовите, пожалуйста, номер вашего договора.",
        "Мастер приедет к вам завтра утром.",
        "С меня дважды списали деньги за один месяц.",
        "Деньги вернутся в течение пяти рабочих дней.",
        "Можно я поставлю вас на удержание на минуту?",
        "Я хочу сменить пароль от личного кабинета.",
        "Посылка ждёт вас в отделении почты.",
        "Могу ли я ещё чем-нибудь помочь?",
    ),
}

VOICES = {"hi": "hi", "ur": "ur", "en": "en-us", "es": "es", "fr": "fr-fr", "de": "de", "pt": "pt", "ru": "ru"}
# the second speaker of a call: another espeak-ng variant at a higher pitch
SECOND_VOICE, SECOND_PITCH = "+f3", 70
SPEEDS = (130, 150, 175)


@dataclass(frozen=True)
class Clip:
    language: str
    kind: str  # "sentence" or "call"
    telephone: bool  # went through an 8 kHz mu-law line
    audio: np.ndarray  # 16 kHz float32

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE


def say(text: str, voice: str, speed: int, pitch: int = 50) -> np.ndarray:
    """espeak-ng reading ``text``, at 16 kHz, leading and trailing silence trimmed."""
    import soundfile

    from hearflow import resample

    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                         check=True, capture_output=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return resample(samples[loud[0]: loud[-1] + 1] * 0.8, rate, RATE)


def telephone(audio: np.ndarray) -> np.ndarray:
    """Through an 8 kHz mu-law line and back to 16 kHz (the band and the companding a call has)."""
    import soundfile

    from hearflow import resample

    buffer = io.BytesIO()
    soundfile.write(buffer, resample(audio, RATE, 8000), 8000, format="WAV", subtype="ULAW")
    buffer.seek(0)
    narrow, rate = soundfile.read(buffer, dtype="float32")
    return resample(narrow, rate, RATE)


def call_of(sentences, voice: str, speed: int, gap: float = 0.6, lead: float = 0.5) -> np.ndarray:
    """The sentences said in turn by two voices with ``gap`` seconds between turns."""
    pause = np.zeros(int(gap * RATE), dtype=np.float32)
    parts = [np.zeros(int(lead * RATE), dtype=np.float32)]
    for i, text in enumerate(sentences):
        second = i % 2 == 1
        parts += [say(text, voice + (SECOND_VOICE if second else ""), speed, SECOND_PITCH if second else 50),
                  pause]
    return np.concatenate(parts)


def clips(language: str, *, sentences: int = 6, calls: int = 4) -> list[Clip]:
    """``sentences`` single sentences and ``calls`` call-like stretches of one language, speeds
    cycling through SPEEDS; every other call (and every third sentence) over a telephone line."""
    texts, voice, made = SENTENCES[language], VOICES[language], []
    for i in range(sentences):
        audio = say(texts[i % len(texts)], voice, SPEEDS[i % len(SPEEDS)])
        line = i % 3 == 2
        made.append(Clip(language, "sentence", line, telephone(audio) if line else audio))
    for i in range(calls):
        # each call starts at another sentence and goes round the list twice: 20 sentences, 40-70 s
        order = [texts[(i * 3 + j) % len(texts)] for j in range(2 * len(texts))]
        audio = call_of(order, voice, SPEEDS[i % len(SPEEDS)])
        line = i % 2 == 1
        made.append(Clip(language, "call", line, telephone(audio) if line else audio))
    return made
