"""Word lists the offline analyzer scores with. Short, readable and meant to be extended."""

POSITIVE = frozenset("""great perfect wonderful excellent happy glad appreciate helpful fine good thanks
thank love awesome resolved sorted works working brilliant""".split())
NEGATIVE = frozenset("""angry annoyed frustrated terrible awful bad worst disappointed unacceptable
ridiculous broken late delayed wrong problem issue never useless complaint cancel refund""".split())
ESCALATION = ("supervisor", "manager", "escalate", "complaint", "lawyer", "cancel my", "unacceptable")
COMMITMENTS = ("i will", "i'll", "we will", "we'll", "i have sent", "i've sent", "will arrive", "will be",
               "send you", "call you back", "follow up")
CLOSING_OK = ("that is all", "that's all", "thank you very much", "thanks so much", "perfect", "great",
              "that helps", "that is fine", "that's fine")
GREETING = ("thank you for calling", "my name is", "how can i help", "how may i help")
CLOSING = ("anything else", "have a great day", "have a nice day")
POLITE = ("sorry", "please", "thank you", "of course", "happy to help", "apologize")

INTENTS = {
    "order status": ("order", "delivery", "arrive", "arrived", "tracking", "parcel", "shipped", "package"),
    "billing": ("bill", "charge", "charged", "invoice", "refund", "payment", "price"),
    "cancellation": ("cancel", "cancellation", "terminate"),
    "technical support": ("error", "working", "broken", "reset", "password", "crash", "install"),
    "sales inquiry": ("buy", "plan", "upgrade", "quote", "pricing", "demo", "discount"),
}
