#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096

struct counter {
    char *word;
    int count;
    struct counter *next;
};

static struct counter *table[1024];

static unsigned hash(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % 1024;
}

static void add(const char *w)
{
    unsigned h = hash(w);
    struct counter *c;
    for (c = table[h]; c != NULL; c = c->next) {
        if (strcmp(c->word, w) == 0) {
            c->count++;
            return;
        }
    }
    c = malloc(sizeof *c);
    c->word = strdup(w);
    c->count = 1;
    c->next = table[h];
    table[h] = c;
}

int main(void)
{
    char line[MAX_LINE];
    while (fgets(line, sizeof line, stdin) != NULL) {
        for (char *w = strtok(line, " \t\n"); w; w = strtok(NULL, " \t\n"))
            add(w);
    }
    return 0;
}
