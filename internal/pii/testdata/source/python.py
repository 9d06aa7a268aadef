import json
import os
from dataclasses import dataclass


@dataclass
class Invoice:
    number: str
    amount: float
    paid: bool = False


def load_invoices(path):
    """Read invoices from a JSON file."""
    with open(path) as f:
        data = json.load(f)
    out = []
    for item in data:
        if item.get("amount", 0) <= 0:
            continue
        out.append(Invoice(item["number"], float(item["amount"])))
    return out


class Ledger:
    def __init__(self, invoices):
        self.invoices = list(invoices)

    def total(self):
        return sum(i.amount for i in self.invoices if not i.paid)

    def mark_paid(self, number):
        for inv in self.invoices:
            if inv.number == number:
                inv.paid = True
                return True
        return False


if __name__ == "__main__":
    ledger = Ledger(load_invoices(os.environ.get("INVOICES", "invoices.json")))
    print(ledger.total())
