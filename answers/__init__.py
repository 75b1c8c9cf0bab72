"""The Answerbank domain: the answer bank, questionnaires in progress, matching, audit."""
