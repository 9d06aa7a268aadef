package com.example.billing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

public class InvoiceService {
    private final List<Invoice> invoices = new ArrayList<>();
    private final Clock clock;

    public InvoiceService(Clock clock) {
        this.clock = Objects.requireNonNull(clock);
    }

    public Invoice create(String customer, long cents) {
        if (cents <= 0) {
            throw new IllegalArgumentException("amount must be positive");
        }
        Invoice inv = new Invoice(customer, cents, clock.now());
        invoices.add(inv);
        return inv;
    }

    public long outstanding() {
        long sum = 0;
        for (Invoice inv : invoices) {
            if (!inv.isPaid()) {
                sum += inv.getCents();
            }
        }
        return sum;
    }

    @Override
    public String toString() {
        return "InvoiceService{" + invoices.size() + " invoices}";
    }
}
